import { z } from "zod";
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

export const PaymentRef = z.strictObject({ id: z.string().min(1).max(64) });

/** Body of the original POST /payments/pay: money in major units. */
export const LegacyPayBody = z.object({
  id: z.string(),
  value: z.number(),
  currency: z.string(),
});
export const LegacyPayResponse = z.object({ id: z.string() });
export const ErrorResponse = z.object({ error: z.string() });
