import type { Invoice, LegacyInvoice } from "@invoicing/shared/contract";
import { minorToMajor } from "@invoicing/shared/contract";

/**
 * Invoice lifecycle: unpaid -> pending -> paid | failed, and failed -> pending when paid again.
 *
 * Every payment attempt has an idempotency key, `invoice:<id>:attempt:<n>`. A new attempt number is taken only
 * after a definite outcome (never tried, or declined/refused). When an attempt ends with its outcome unknown
 * (the provider could not be reached often enough), the invoice turns failed but keeps the attempt, so paying it
 * again resends the same key and the provider can never charge it twice.
 */
export function paymentIdempotencyKey(invoiceId: string, attempt: number): string {
  return `invoice:${invoiceId}:attempt:${attempt}`;
}

export function toLegacyInvoice(invoice: Invoice): LegacyInvoice {
  return {
    InvoiceId: invoice.id,
    Value: minorToMajor(invoice.amountMinor, invoice.currency),
    Currency: invoice.currency,
    IsPaid: invoice.status === "paid",
  };
}

export const SEED_INVOICES = [
  { id: "I1", amountMinor: 1215, currency: "EUR" },
  { id: "I2", amountMinor: 1025, currency: "GBP" },
  { id: "I3", amountMinor: 6613, currency: "DKK" },
] as const;
