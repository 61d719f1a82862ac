import { PAYMENT_EVENTS_PATH, PaymentSettled } from "@invoicing/shared/contract";
import { HttpError, parseBody, type Routes, type WebhookSigner } from "@invoicing/shared/platform";
import type { InvoicesService } from "../invoices-service.js";

/** payment-provider's signed events. The signature is checked over the raw body before anything is parsed. */
export function paymentEventRoutes(invoices: InvoicesService, signer: WebhookSigner): Routes {
  return {
    [PAYMENT_EVENTS_PATH]: {
      POST: async (request) => {
        const body = await request.text();
        const problem = signer.verify(body, request.headers);
        if (problem !== undefined) throw new HttpError(401, `signature rejected: ${problem}`);
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new HttpError(400, "body: is not valid JSON");
        }
        const event = parseBody(PaymentSettled, parsed);
        if (request.headers["webhook-id"] !== event.eventId) {
          throw new HttpError(400, "eventId: does not match the webhook-id header");
        }
        return { status: 200, body: { status: await invoices.applySettlement(event) } };
      },
    },
  };
}
