import { z } from "zod";
import { InvoiceId } from "./invoices.js";
import { AmountMinor, CurrencyCode } from "./money.js";
import { IdempotencyKey } from "./payments.js";

/** Where payment-provider delivers events on invoice-app (plain HTTP: the signature covers the raw body). */
export const PAYMENT_EVENTS_PATH = "/webhooks/payment-events";

/** Command queued by invoice-app in the same transaction that moves an invoice to pending. */
export const PaymentRequested = z.object({
  invoiceId: InvoiceId,
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  idempotencyKey: IdempotencyKey,
});
export type PaymentRequested = z.infer<typeof PaymentRequested>;

export const SettledPayment = z.object({
  id: z.string().min(1).max(64),
  invoiceId: InvoiceId,
  idempotencyKey: IdempotencyKey,
  amountMinor: AmountMinor,
  currency: CurrencyCode,
  status: z.enum(["succeeded", "declined"]),
  declineReason: z.string().nullable(),
});

/** Event payment-provider emits once a payment reaches a final state; delivered at least once, signed. */
export const PaymentSettled = z.object({
  type: z.literal("PaymentSettled"),
  eventId: z.string().min(1).max(200),
  occurredAt: z.iso.datetime(),
  payment: SettledPayment,
});
export type PaymentSettled = z.infer<typeof PaymentSettled>;

export const WebhookAck = z.object({ status: z.enum(["applied", "duplicate", "ignored"]) });
export type WebhookAck = z.infer<typeof WebhookAck>;
