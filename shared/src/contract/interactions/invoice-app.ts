import {
  PAYMENT_EVENTS_BATCH_PATH,
  PAYMENT_EVENTS_PATH,
  PaymentSettled,
  PaymentSettledBatch,
  WebhookAck,
  WebhookBatchAck,
} from "../events.js";
import type { InvoiceStatus } from "../invoices.js";
import { ErrorResponse } from "../payments.js";
import type { RestInteraction } from "./interaction.js";
import { type Matchable, match } from "./matchers.js";

export interface PendingInvoice {
  readonly id: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** The key invoice-app derived for the attempt in flight; settlement events carry it back. */
  readonly idempotencyKey: string;
}

/** States invoice-app's verification knows how to set up (it starts each from an empty database). */
export type InvoiceAppState =
  | { readonly given: "an invoice is pending"; readonly invoice: PendingInvoice }
  | {
      readonly given: "an invoice is pending and the event was already applied";
      readonly invoice: PendingInvoice;
      readonly eventId: string;
    }
  | {
      readonly given: "invoices are pending";
      readonly invoices: readonly PendingInvoice[];
      /** Events already applied before the request (their invoices stay pending, as after a lost update). */
      readonly appliedEventIds?: readonly string[];
    };

const describePending = (invoice: PendingInvoice) =>
  `invoice ${invoice.id} is pending with key ${invoice.idempotencyKey}`;

export function describeInvoiceAppState(state: InvoiceAppState): string {
  switch (state.given) {
    case "an invoice is pending":
      return describePending(state.invoice);
    case "an invoice is pending and the event was already applied":
      return `${describePending(state.invoice)} and event ${state.eventId} was already applied`;
    case "invoices are pending": {
      const applied = state.appliedEventIds ?? [];
      const pending = state.invoices.map(describePending).join("; ");
      return applied.length === 0 ? pending : `${pending}; events ${applied.join(", ")} were already applied`;
    }
  }
}

/** The invoices as invoice-app must show them once the request was handled. */
export interface InvoiceAfterwards {
  readonly invoices: readonly { readonly id: string; readonly status: InvoiceStatus }[];
}

export type PaymentSettledInteraction = RestInteraction<
  typeof PaymentSettled,
  typeof WebhookAck | typeof ErrorResponse,
  InvoiceAppState,
  InvoiceAfterwards
>;

export type PaymentSettledBatchInteraction = RestInteraction<
  typeof PaymentSettledBatch,
  typeof WebhookBatchAck | typeof ErrorResponse,
  InvoiceAppState,
  InvoiceAfterwards
>;

export type InvoiceAppInteraction = PaymentSettledInteraction | PaymentSettledBatchInteraction;

const I1: PendingInvoice = { id: "I1", amountMinor: 1215, currency: "EUR", idempotencyKey: "invoice:I1:attempt:1" };
const I2: PendingInvoice = { id: "I2", amountMinor: 1025, currency: "GBP", idempotencyKey: "invoice:I2:attempt:1" };
const EVENT_ID = "evt_pay_0b8e5a2c_settled";

function settledEvent(
  outcome: "succeeded" | "declined",
  invoice: PendingInvoice = I1,
  paymentId = "pay_0b8e5a2c",
): Matchable<PaymentSettled> {
  return {
    type: "PaymentSettled",
    eventId: match.type(`evt_${paymentId}_settled`),
    occurredAt: match.datetime("2026-01-01T12:00:00.050Z"),
    payment: {
      id: match.type(paymentId),
      invoiceId: invoice.id,
      idempotencyKey: invoice.idempotencyKey,
      amountMinor: invoice.amountMinor,
      currency: invoice.currency,
      status: outcome,
      declineReason: outcome === "succeeded" ? null : match.type("declined by the simulated processor"),
    },
  };
}

const settlementBatch = (
  definition: Omit<PaymentSettledBatchInteraction, "kind" | "method" | "path" | "request"> & {
    signedWith: "shared secret" | "another secret";
  },
): PaymentSettledBatchInteraction => {
  const { signedWith, ...rest } = definition;
  /** I1's payment succeeded and I2's was declined, in one delivery. */
  return {
    kind: "rest",
    method: "POST",
    path: PAYMENT_EVENTS_BATCH_PATH,
    request: {
      schema: PaymentSettledBatch,
      conformsToSchema: true,
      json: {
        batchId: match.type("batch_3f2a9c4e1b7d5a6c8e0f1a2b"),
        events: [settledEvent("succeeded", I1, "pay_0b8e5a2c"), settledEvent("declined", I2, "pay_6c1f0e2a")],
      },
      signedWith,
    },
    ...rest,
  };
};

const settlement = (
  definition: Omit<PaymentSettledInteraction, "kind" | "method" | "path" | "request"> & {
    outcome: "succeeded" | "declined";
    signedWith: "shared secret" | "another secret";
  },
): PaymentSettledInteraction => {
  const { outcome, signedWith, ...rest } = definition;
  return {
    kind: "rest",
    method: "POST",
    path: PAYMENT_EVENTS_PATH,
    request: { schema: PaymentSettled, conformsToSchema: true, json: settledEvent(outcome), signedWith },
    ...rest,
  };
};

/** payment-provider -> invoice-app: signed PaymentSettled events on the webhook. */
export const INVOICE_APP_INTERACTIONS: readonly InvoiceAppInteraction[] = [
  settlement({
    name: "PaymentSettled succeeded is applied and the invoice is paid",
    state: { given: "an invoice is pending", invoice: I1 },
    outcome: "succeeded",
    signedWith: "shared secret",
    response: { status: 200, schema: WebhookAck, body: { status: "applied" } },
    afterwards: { invoices: [{ id: I1.id, status: "paid" }] },
  }),
  settlement({
    name: "PaymentSettled declined is applied and the invoice fails",
    state: { given: "an invoice is pending", invoice: I1 },
    outcome: "declined",
    signedWith: "shared secret",
    response: { status: 200, schema: WebhookAck, body: { status: "applied" } },
    afterwards: { invoices: [{ id: I1.id, status: "failed" }] },
  }),
  settlement({
    name: "a duplicate PaymentSettled is acknowledged and changes nothing",
    state: { given: "an invoice is pending and the event was already applied", invoice: I1, eventId: EVENT_ID },
    outcome: "succeeded",
    signedWith: "shared secret",
    response: { status: 200, schema: WebhookAck, body: { status: "duplicate" } },
    afterwards: { invoices: [{ id: I1.id, status: "pending" }] },
  }),
  settlement({
    name: "a PaymentSettled with a bad signature is refused with 401",
    state: { given: "an invoice is pending", invoice: I1 },
    outcome: "succeeded",
    signedWith: "another secret",
    response: {
      status: 401,
      schema: ErrorResponse,
      body: { error: match.regex(/^signature rejected/, "signature rejected: No matching signature found") },
    },
    afterwards: { invoices: [{ id: I1.id, status: "pending" }] },
  }),
  settlementBatch({
    name: "a batch of PaymentSettled events is applied, each acknowledged on its own",
    state: { given: "invoices are pending", invoices: [I1, I2] },
    signedWith: "shared secret",
    response: {
      status: 200,
      schema: WebhookBatchAck,
      body: { results: [{ status: "applied" }, { status: "applied" }] },
    },
    afterwards: {
      invoices: [
        { id: I1.id, status: "paid" },
        { id: I2.id, status: "failed" },
      ],
    },
  }),
  settlementBatch({
    name: "a batch acknowledges an event it saw before as a duplicate and still applies the others",
    state: { given: "invoices are pending", invoices: [I1, I2], appliedEventIds: [EVENT_ID] },
    signedWith: "shared secret",
    response: {
      status: 200,
      schema: WebhookBatchAck,
      body: { results: [{ status: "duplicate" }, { status: "applied" }] },
    },
    afterwards: {
      invoices: [
        { id: I1.id, status: "pending" },
        { id: I2.id, status: "failed" },
      ],
    },
  }),
  settlementBatch({
    name: "a batch with a bad signature is refused with 401 and changes nothing",
    state: { given: "invoices are pending", invoices: [I1, I2] },
    signedWith: "another secret",
    response: {
      status: 401,
      schema: ErrorResponse,
      body: { error: match.regex(/^signature rejected/, "signature rejected: No matching signature found") },
    },
    afterwards: {
      invoices: [
        { id: I1.id, status: "pending" },
        { id: I2.id, status: "pending" },
      ],
    },
  }),
];
