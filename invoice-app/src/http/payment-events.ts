import {
  PAYMENT_EVENTS_BATCH_PATH,
  PAYMENT_EVENTS_PATH,
  PaymentSettled,
  PaymentSettledBatch,
} from "@invoicing/shared/contract";
import { HttpError, parseBody, type RestRequest, type Routes, type WebhookSigner } from "@invoicing/shared/platform";
import type { InvoicesService } from "../invoices-service.js";

/**
 * payment-provider's signed events, one per request or several in one. The signature is checked over the raw body
 * before anything is parsed, and the body's id (`eventId`, `batchId`) must be the one the signature covers.
 */
export function paymentEventRoutes(invoices: InvoicesService, signer: WebhookSigner): Routes {
  async function signedJson(request: RestRequest): Promise<unknown> {
    const body = await request.text();
    const problem = signer.verify(body, request.headers);
    if (problem !== undefined) throw new HttpError(401, `signature rejected: ${problem}`);
    try {
      return JSON.parse(body);
    } catch {
      throw new HttpError(400, "body: is not valid JSON");
    }
  }

  const requireMessageId = (request: RestRequest, field: string, id: string) => {
    if (request.headers["webhook-id"] !== id)
      throw new HttpError(400, `${field}: does not match the webhook-id header`);
  };

  return {
    [PAYMENT_EVENTS_PATH]: {
      POST: async (request) => {
        const event = parseBody(PaymentSettled, await signedJson(request));
        requireMessageId(request, "eventId", event.eventId);
        return { status: 200, body: { status: await invoices.applySettlement(event) } };
      },
    },
    [PAYMENT_EVENTS_BATCH_PATH]: {
      POST: async (request) => {
        const batch = parseBody(PaymentSettledBatch, await signedJson(request));
        requireMessageId(request, "batchId", batch.batchId);
        const results = await invoices.applySettlements(batch.events);
        return { status: 200, body: { results: results.map((status) => ({ status })) } };
      },
    },
  };
}
