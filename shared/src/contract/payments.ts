import * as z from "zod";
import { InvoiceId } from "./invoices.js";
import { AmountMinor, CurrencyCode } from "./money.js";

export const IdempotencyKey = z
  .string()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const PaymentStatus = z.enum(["processing", "succeeded", "declined"]);
export type PaymentStatus = z.infer<typeof PaymentStatus>;

export const CreatePaymentInput = z.strictObject({
  idempotencyKey: IdempotencyKey,
  invoiceId: InvoiceId,
  amountMinor: AmountMinor,
  currency: CurrencyCode,
});
export type CreatePaymentInput = z.infer<typeof CreatePaymentInput>;

export const Payment = z.object({
  id: z.string().min(1),
  invoiceId: InvoiceId,
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  status: PaymentStatus,
  declineReason: z.string().nullable(),
  idempotencyKey: IdempotencyKey,
  createdAt: z.iso.datetime(),
});
export type Payment = z.infer<typeof Payment>;

/** Most payments one `payments.createBatch` call takes (invoice-app's payment worker sends what it claimed together). */
export const CREATE_PAYMENTS_BATCH_LIMIT = 100;

export const CreatePaymentsInput = z.strictObject({
  payments: z
    .array(CreatePaymentInput)
    .min(1, "must hold at least one payment")
    .max(CREATE_PAYMENTS_BATCH_LIMIT, `must hold at most ${CREATE_PAYMENTS_BATCH_LIMIT} payments`),
});
export type CreatePaymentsInput = z.infer<typeof CreatePaymentsInput>;

/** One item's answer: the payment (new or replayed), or the conflict `payments.create` would have answered with 409. */
export const CreatePaymentResult = z.discriminatedUnion("result", [
  z.object({ result: z.literal("payment"), payment: Payment }),
  z.object({ result: z.literal("conflict"), message: z.string() }),
]);
export type CreatePaymentResult = z.infer<typeof CreatePaymentResult>;

/** The answers in the order of the input's payments. */
export const CreatePaymentsOutput = z.object({ results: z.array(CreatePaymentResult) });
export type CreatePaymentsOutput = z.infer<typeof CreatePaymentsOutput>;

export const PaymentRef = z.strictObject({ id: z.string().min(1).max(64) });

/** Body of the original POST /payments/pay: money in major units. */
export const LegacyPayBody = z.object({
  id: z.string(),
  value: z.number(),
  currency: z.string(),
});
export const LegacyPayResponse = z.object({ id: z.string() });
export const ErrorResponse = z.object({ error: z.string() });
