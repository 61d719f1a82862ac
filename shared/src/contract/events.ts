import * as z from "zod";
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

/** Where payment-provider delivers several events in one signed request (its outbox sends what it claimed together). */
export const PAYMENT_EVENTS_BATCH_PATH = "/webhooks/payment-events/batch";
export const PAYMENT_EVENTS_BATCH_LIMIT = 100;

/**
 * Several events in one delivery, applied one after another in this order. `batchId` names the delivery (the
 * signature's `webhook-id`); the same events always make the same id, so a retried delivery keeps it.
 */
export const PaymentSettledBatch = z.strictObject({
  batchId: z.string().min(1).max(200),
  events: z
    .array(PaymentSettled)
    .min(1, "must hold at least one event")
    .max(PAYMENT_EVENTS_BATCH_LIMIT, `must hold at most ${PAYMENT_EVENTS_BATCH_LIMIT} events`),
});
export type PaymentSettledBatch = z.infer<typeof PaymentSettledBatch>;

/** One acknowledgement per event, in the order of the batch's events. */
export const WebhookBatchAck = z.object({ results: z.array(WebhookAck) });
export type WebhookBatchAck = z.infer<typeof WebhookBatchAck>;
