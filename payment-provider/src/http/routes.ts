import { InvoiceId, isKnownCurrency, LegacyPayBody, majorToMinor } from "@invoicing/shared/contract";
import { HttpError, parseBody, type Routes } from "@invoicing/shared/platform";
import { IdempotencyConflictError, type PaymentsService } from "../payments-service.js";

const LEGACY_SETTLEMENT_WAIT_MS = 5_000;

/** The original REST API, kept wire-compatible for existing clients and scripts. */
export function createRoutes(payments: PaymentsService): Routes {
  return {
    "/payments/pay": {
      POST: async (request) => {
        const body = parseBody(LegacyPayBody, await request.json());
        if (body.id === "") throw new HttpError(400, "id: must not be empty");
        if (!InvoiceId.safeParse(body.id).success) {
          throw new HttpError(400, "id: may contain only letters, digits, '_', '.', ':' and '-' (at most 64)");
        }
        if (body.value === 0) throw new HttpError(400, "value: must not be zero");
        if (body.currency === "") throw new HttpError(400, "currency: must not be empty");
        if (!isKnownCurrency(body.currency))
          throw new HttpError(400, "currency: is not a known ISO 4217 currency code");
        const amount = majorToMinor(body.value, body.currency);
        if (!amount.ok) throw new HttpError(400, `value: ${amount.reason}`);
        try {
          const created = await payments.create({
            idempotencyKey: `legacy:${body.id}`,
            invoiceId: body.id,
            amountMinor: amount.amountMinor,
            currency: body.currency,
          });
          // The original API answered once the payment was done: wait for settlement, bounded.
          const payment = await payments.waitUntilSettled(created.id, LEGACY_SETTLEMENT_WAIT_MS);
          if (payment.status === "processing") return { status: 202, body: { id: body.id } };
          if (payment.status === "declined") {
            return { status: 402, body: { error: `payment declined: ${payment.declineReason ?? "no reason given"}` } };
          }
          return { status: 200, body: { id: body.id } };
        } catch (error) {
          if (error instanceof IdempotencyConflictError) {
            throw new HttpError(409, `id: ${body.id} was already paid with a different value or currency`);
          }
          throw error;
        }
      },
    },
    "/payments": {
      GET: async () => ({ status: 200, body: await payments.list() }),
    },
  };
}
