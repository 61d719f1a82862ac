import { PAYMENT_EVENTS_PATH, PaymentSettled, WebhookAck } from "../events.js";
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
    };

export function describeInvoiceAppState(state: InvoiceAppState): string {
  const { invoice } = state;
  const pending = `invoice ${invoice.id} is pending with key ${invoice.idempotencyKey}`;
  return state.given === "an invoice is pending"
    ? pending
    : `${pending} and event ${state.eventId} was already applied`;
}

/** The invoice as invoice-app must show it once the request was handled. */
export interface InvoiceAfterwards {
  readonly invoice: { readonly id: string; readonly status: InvoiceStatus };
}

export type PaymentSettledInteraction = RestInteraction<
  typeof PaymentSettled,
  typeof WebhookAck | typeof ErrorResponse,
  InvoiceAppState,
  InvoiceAfterwards
>;

const I1: PendingInvoice = { id: "I1", amountMinor: 1215, currency: "EUR", idempotencyKey: "invoice:I1:attempt:1" };
const EVENT_ID = "evt_pay_0b8e5a2c_settled";

function settledEvent(outcome: "succeeded" | "declined"): Matchable<PaymentSettled> {
  return {
    type: "PaymentSettled",
    eventId: match.type(EVENT_ID),
    occurredAt: match.datetime("2026-01-01T12:00:00.050Z"),
    payment: {
      id: match.type("pay_0b8e5a2c"),
      invoiceId: I1.id,
      idempotencyKey: I1.idempotencyKey,
      amountMinor: I1.amountMinor,
      currency: I1.currency,
      status: outcome,
      declineReason: outcome === "succeeded" ? null : match.type("declined by the simulated processor"),
    },
  };
}

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
export const INVOICE_APP_INTERACTIONS: readonly PaymentSettledInteraction[] = [
  settlement({
    name: "PaymentSettled succeeded is applied and the invoice is paid",
    state: { given: "an invoice is pending", invoice: I1 },
    outcome: "succeeded",
    signedWith: "shared secret",
    response: { status: 200, schema: WebhookAck, body: { status: "applied" } },
    afterwards: { invoice: { id: I1.id, status: "paid" } },
  }),
  settlement({
    name: "PaymentSettled declined is applied and the invoice fails",
    state: { given: "an invoice is pending", invoice: I1 },
    outcome: "declined",
    signedWith: "shared secret",
    response: { status: 200, schema: WebhookAck, body: { status: "applied" } },
    afterwards: { invoice: { id: I1.id, status: "failed" } },
  }),
  settlement({
    name: "a duplicate PaymentSettled is acknowledged and changes nothing",
    state: { given: "an invoice is pending and the event was already applied", invoice: I1, eventId: EVENT_ID },
    outcome: "succeeded",
    signedWith: "shared secret",
    response: { status: 200, schema: WebhookAck, body: { status: "duplicate" } },
    afterwards: { invoice: { id: I1.id, status: "pending" } },
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
    afterwards: { invoice: { id: I1.id, status: "pending" } },
  }),
];
