import {
  CreatePaymentInput,
  CreatePaymentsInput,
  CreatePaymentsOutput,
  ErrorResponse,
  LegacyPayBody,
  LegacyPayResponse,
  Payment,
} from "../payments.js";
import type { RestInteraction, TrpcInteraction } from "./interaction.js";
import { match } from "./matchers.js";

/** States payment-provider's verification knows how to set up (it starts each from an empty ledger). */
export type PaymentProviderState =
  | { readonly given: "no payment exists" }
  | { readonly given: "a payment exists"; readonly payment: Omit<Payment, "createdAt"> }
  | { readonly given: "the payments store is failing" };

export function describePaymentProviderState(state: PaymentProviderState): string {
  switch (state.given) {
    case "a payment exists": {
      const { payment } = state;
      return `a ${payment.status} payment ${payment.id} exists for key ${payment.idempotencyKey} (${payment.invoiceId}, ${payment.amountMinor} ${payment.currency})`;
    }
    default:
      return state.given;
  }
}

export type CreatePaymentInteraction = TrpcInteraction<typeof CreatePaymentInput, typeof Payment, PaymentProviderState>;
export type LegacyPayInteraction = RestInteraction<
  typeof LegacyPayBody,
  typeof LegacyPayResponse | typeof ErrorResponse,
  PaymentProviderState
>;
export type CreatePaymentsInteraction = TrpcInteraction<
  typeof CreatePaymentsInput,
  typeof CreatePaymentsOutput,
  PaymentProviderState
>;
export type PaymentProviderInteraction = CreatePaymentInteraction | CreatePaymentsInteraction | LegacyPayInteraction;

/** What invoice-app's outbox worker sends for invoice I1 (12.15 EUR) on its first attempt. */
const firstAttemptForI1 = {
  idempotencyKey: "invoice:I1:attempt:1",
  invoiceId: "I1",
  amountMinor: 1215,
  currency: "EUR",
} satisfies CreatePaymentInput;

const existingPayment = {
  ...firstAttemptForI1,
  id: "pay_existing_I1",
  status: "processing",
  declineReason: null,
} satisfies Omit<Payment, "createdAt">;

const createPayment = (
  definition: Omit<CreatePaymentInteraction, "kind" | "procedure" | "type">,
): CreatePaymentInteraction => ({ kind: "trpc", procedure: "payments.create", type: "mutation", ...definition });

const createPayments = (
  definition: Omit<CreatePaymentsInteraction, "kind" | "procedure" | "type">,
): CreatePaymentsInteraction => ({ kind: "trpc", procedure: "payments.createBatch", type: "mutation", ...definition });

/** The same first attempt for invoice I2 (10.25 GBP), sent together with I1's by the worker. */
const firstAttemptForI2 = {
  idempotencyKey: "invoice:I2:attempt:1",
  invoiceId: "I2",
  amountMinor: 1025,
  currency: "GBP",
} satisfies CreatePaymentInput;

const newPayment = (input: CreatePaymentInput, id: string) => ({
  ...input,
  id: match.type(id),
  status: "processing" as const,
  declineReason: null,
  createdAt: match.datetime("2026-01-01T12:00:00.000Z"),
});

const legacyPay = (
  definition: Omit<LegacyPayInteraction, "kind" | "method" | "path" | "state">,
): LegacyPayInteraction => ({
  kind: "rest",
  method: "POST",
  path: "/payments/pay",
  state: { given: "no payment exists" },
  ...definition,
});

const legacyRefusal = (name: string, request: LegacyPayInteraction["request"], message: RegExp, example: string) =>
  legacyPay({
    name,
    request,
    response: { status: 400, schema: ErrorResponse, body: { error: match.regex(message, example) } },
  });

/** invoice-app (and the original API's clients) -> payment-provider. */
export const PAYMENT_PROVIDER_INTERACTIONS: readonly PaymentProviderInteraction[] = [
  createPayment({
    name: "payments.create accepts a new payment, still processing",
    state: { given: "no payment exists" },
    request: { schema: CreatePaymentInput, conformsToSchema: true, input: firstAttemptForI1 },
    response: {
      status: 200,
      schema: Payment,
      data: {
        ...firstAttemptForI1,
        id: match.type("pay_0b8e5a2c-6f1d-4c1e-9a57-3d2f0c1b7e11"),
        status: "processing",
        declineReason: null,
        createdAt: match.datetime("2026-01-01T12:00:00.000Z"),
      },
    },
  }),
  createPayment({
    name: "payments.create replays the same key and payload as the same payment",
    state: { given: "a payment exists", payment: existingPayment },
    request: { schema: CreatePaymentInput, conformsToSchema: true, input: firstAttemptForI1 },
    response: {
      status: 200,
      schema: Payment,
      data: { ...existingPayment, createdAt: match.datetime("2026-01-01T12:00:00.000Z") },
    },
  }),
  createPayment({
    name: "payments.create refuses the same key with a different payload as a conflict",
    state: { given: "a payment exists", payment: existingPayment },
    request: { schema: CreatePaymentInput, conformsToSchema: true, input: { ...firstAttemptForI1, amountMinor: 999 } },
    response: {
      status: 409,
      error: {
        code: "CONFLICT",
        message: match.regex(
          /^idempotencyKey /,
          "idempotencyKey invoice:I1:attempt:1 was already used for a different payment (invoiceId, amountMinor or currency differ)",
        ),
      },
    },
  }),
  createPayment({
    name: "payments.create refuses an invalid input with a message naming the field",
    state: { given: "no payment exists" },
    request: { schema: CreatePaymentInput, conformsToSchema: false, input: { ...firstAttemptForI1, amountMinor: 0 } },
    response: {
      status: 400,
      error: { code: "BAD_REQUEST", message: match.regex(/^amountMinor: /, "amountMinor: must be greater than zero") },
    },
  }),
  createPayment({
    name: "payments.create fails with a 5xx when the provider cannot reach its store",
    state: { given: "the payments store is failing" },
    request: { schema: CreatePaymentInput, conformsToSchema: true, input: firstAttemptForI1 },
    response: { status: 500, error: { code: "INTERNAL_SERVER_ERROR", message: match.type("internal error") } },
  }),
  createPayments({
    name: "payments.createBatch accepts new payments and answers each in order",
    state: { given: "no payment exists" },
    request: {
      schema: CreatePaymentsInput,
      conformsToSchema: true,
      input: { payments: [firstAttemptForI1, firstAttemptForI2] },
    },
    response: {
      status: 200,
      schema: CreatePaymentsOutput,
      data: {
        results: [
          { result: "payment", payment: newPayment(firstAttemptForI1, "pay_0b8e5a2c-6f1d-4c1e-9a57-3d2f0c1b7e11") },
          { result: "payment", payment: newPayment(firstAttemptForI2, "pay_6c1f0e2a-3b4d-4e5f-8a9b-0c1d2e3f4a5b") },
        ],
      },
    },
  }),
  createPayments({
    name: "payments.createBatch answers each item on its own: a replay with the stored payment, a reused key with a conflict",
    state: { given: "a payment exists", payment: existingPayment },
    request: {
      schema: CreatePaymentsInput,
      conformsToSchema: true,
      input: { payments: [firstAttemptForI1, { ...firstAttemptForI1, amountMinor: 999 }] },
    },
    response: {
      status: 200,
      schema: CreatePaymentsOutput,
      data: {
        results: [
          {
            result: "payment",
            payment: { ...existingPayment, createdAt: match.datetime("2026-01-01T12:00:00.000Z") },
          },
          {
            result: "conflict",
            message: match.regex(
              /^idempotencyKey /,
              "idempotencyKey invoice:I1:attempt:1 was already used for a different payment (invoiceId, amountMinor or currency differ)",
            ),
          },
        ],
      },
    },
  }),
  createPayments({
    name: "payments.createBatch refuses an invalid item with a message naming its position and field",
    state: { given: "no payment exists" },
    request: {
      schema: CreatePaymentsInput,
      conformsToSchema: false,
      input: { payments: [firstAttemptForI1, { ...firstAttemptForI2, amountMinor: 0 }] },
    },
    response: {
      status: 400,
      error: {
        code: "BAD_REQUEST",
        message: match.regex(/^payments\.1\.amountMinor: /, "payments.1.amountMinor: must be greater than zero"),
      },
    },
  }),
  createPayments({
    name: "payments.createBatch fails with a 5xx when the provider cannot reach its store",
    state: { given: "the payments store is failing" },
    request: { schema: CreatePaymentsInput, conformsToSchema: true, input: { payments: [firstAttemptForI1] } },
    response: { status: 500, error: { code: "INTERNAL_SERVER_ERROR", message: match.type("internal error") } },
  }),
  legacyPay({
    name: "POST /payments/pay pays and answers {id}",
    request: { schema: LegacyPayBody, conformsToSchema: true, json: { id: "I1", value: 12.15, currency: "EUR" } },
    response: { status: 200, schema: LegacyPayResponse, body: { id: "I1" } },
  }),
  legacyRefusal(
    "POST /payments/pay refuses malformed JSON",
    { raw: "{not json" },
    /JSON/,
    "request body is not valid JSON: Expected property name",
  ),
  legacyRefusal(
    "POST /payments/pay refuses an empty body",
    { raw: "" },
    /empty/,
    "request body is empty; expected a JSON object",
  ),
  legacyRefusal(
    "POST /payments/pay refuses an empty id",
    { schema: LegacyPayBody, conformsToSchema: true, json: { id: "", value: 1, currency: "EUR" } },
    /^id: /,
    "id: must not be empty",
  ),
  legacyRefusal(
    "POST /payments/pay refuses a zero value",
    { schema: LegacyPayBody, conformsToSchema: true, json: { id: "Z1", value: 0, currency: "EUR" } },
    /^value: /,
    "value: must not be zero",
  ),
  legacyRefusal(
    "POST /payments/pay refuses an empty currency",
    { schema: LegacyPayBody, conformsToSchema: true, json: { id: "Z1", value: 1, currency: "" } },
    /^currency: /,
    "currency: must not be empty",
  ),
];
