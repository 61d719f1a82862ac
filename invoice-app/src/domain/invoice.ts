import type { Invoice, InvoiceStatus, LegacyInvoice } from "@invoicing/shared/contract";
import { minorToMajor } from "@invoicing/shared/contract";

/** Invoices a payment may be (re)started for. Pending ones are resent safely: the idempotency key is unchanged. */
export const PAYABLE_STATUSES: readonly InvoiceStatus[] = ["unpaid", "pending", "failed"];

/**
 * A new attempt number is taken only after a definite outcome (never tried, or failed), so retrying an attempt
 * whose result is unknown reuses its key and the provider can never charge it twice.
 */
export function nextAttempt(status: InvoiceStatus, attempt: number): number {
  return status === "pending" ? attempt : attempt + 1;
}

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
