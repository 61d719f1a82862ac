import * as z from "zod";
import { AmountMinor, CurrencyCode } from "./money.js";

export const InvoiceId = z
  .string()
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "may contain only letters, digits, '_', '.', ':' and '-'");
export type InvoiceId = z.infer<typeof InvoiceId>;

export const InvoiceStatus = z.enum(["unpaid", "pending", "paid", "failed"]);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

export const Invoice = z.object({
  id: InvoiceId,
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  status: InvoiceStatus,
  failureReason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type Invoice = z.infer<typeof Invoice>;

export const CreateInvoiceInput = z.strictObject({
  id: InvoiceId.optional(),
  amountMinor: AmountMinor,
  currency: CurrencyCode,
});
export type CreateInvoiceInput = z.infer<typeof CreateInvoiceInput>;

export const InvoiceRef = z.strictObject({ id: InvoiceId });

export const PayResult = z.object({
  started: z.number().int().nonnegative(),
  paid: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
});
export type PayResult = z.infer<typeof PayResult>;

/** The shape the original Go service served on GET /invoices; existing scripts read these keys. */
export const LegacyInvoice = z.object({
  InvoiceId: z.string(),
  Value: z.number(),
  Currency: z.string(),
  IsPaid: z.boolean(),
});
export type LegacyInvoice = z.infer<typeof LegacyInvoice>;

/** Body of the legacy-style POST /invoices. Money arrives in major units and is converted by the route. */
export const LegacyCreateInvoiceBody = z.strictObject({
  InvoiceId: InvoiceId.optional(),
  Value: z.number().finite("must be a finite number").positive("must be greater than zero"),
  Currency: CurrencyCode,
});
