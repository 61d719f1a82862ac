import {
  CreatePaymentInput,
  exampleOf,
  INVOICE_APP_INTERACTIONS,
  type Interaction,
  PAYMENT_PROVIDER_INTERACTIONS,
  Payment,
  PaymentSettled,
  SettledPayment,
  WebhookAck,
} from "@invoicing/shared/contract";
import { WebhookSigner } from "@invoicing/shared/platform";
import {
  CONTRACT_WEBHOOK_SECRET,
  exampleResponse,
  type Mismatch,
  type ReceivedResponse,
  verifyResponse,
  verifyRestRequest,
  verifyTrpcInput,
} from "@invoicing/shared/testing";
import { describe, expect, it } from "vitest";
import * as z from "zod";

function named<T extends Interaction>(list: readonly T[], name: string): T {
  const found = list.find((interaction) => interaction.name === name);
  if (found === undefined) throw new Error(`no interaction named ${name}`);
  return found;
}

const created = named(PAYMENT_PROVIDER_INTERACTIONS, "payments.create accepts a new payment, still processing");
const settled = named(INVOICE_APP_INTERACTIONS, "PaymentSettled succeeded is applied and the invoice is paid");
if (created.kind !== "trpc" || !("data" in created.response))
  throw new Error("payments.create success is a tRPC result");
const createInput = created.request.input;
if ("raw" in settled.request) throw new Error("PaymentSettled is a JSON request");
const event = PaymentSettled.parse(exampleOf<unknown>(settled.request.json));

/** What payment-provider answers today, with one breaking edit applied to the payment (a copy). */
function answerWith(edit: (payment: Record<string, unknown>) => Record<string, unknown>): ReceivedResponse {
  const { body } = exampleResponse(created);
  const payment = z.object({ result: z.object({ data: z.record(z.string(), z.unknown()) }) }).parse(body).result.data;
  return { status: 200, body: { result: { data: edit({ ...payment }) } } };
}

function renameKey(record: Record<string, unknown>, from: string, to: string): Record<string, unknown> {
  const { [from]: value, ...rest } = record;
  return { ...rest, [to]: value };
}

const paths = (mismatches: readonly Mismatch[]) => mismatches.map((mismatch) => mismatch.path);

/** Sends an event the way payment-provider's WebhookSender does: signed over the exact body. */
function signedEvent(event: unknown) {
  const body = JSON.stringify(event);
  const id = z.object({ eventId: z.string() }).parse(event).eventId;
  return {
    body,
    headers: { "content-type": "application/json", ...new WebhookSigner(CONTRACT_WEBHOOK_SECRET).sign(id, body) },
  };
}

describe("the verifier", () => {
  it("reports nothing for the unchanged contract", () => {
    expect(verifyResponse(created, exampleResponse(created))).toEqual([]);
    expect(verifyTrpcInput(created, createInput)).toEqual([]);
    expect(verifyRestRequest(settled, signedEvent(event))).toEqual([]);
  });

  describe("catches a provider that breaks the payments.create response", () => {
    it("renames a field (status -> state)", () => {
      const mismatches = verifyResponse(
        created,
        answerWith((payment) => renameKey(payment, "status", "state")),
      );
      expect(paths(mismatches)).toContain("data.status");
      expect(mismatches.find((m) => m.path === "data.status" && m.problem.startsWith("missing"))).toBeDefined();
    });

    it("changes an enum value (processing -> pending)", () => {
      const mismatches = verifyResponse(
        created,
        answerWith((payment) => ({ ...payment, status: "pending" })),
      );
      expect(mismatches).toContainEqual(
        expect.objectContaining({ path: "data.status", problem: expect.stringMatching(/^schema: /) }),
      );
      expect(mismatches).toContainEqual({ path: "data.status", problem: 'expected "processing", got "pending"' });
    });

    it("changes a field's type (amountMinor as a string)", () => {
      const mismatches = verifyResponse(
        created,
        answerWith((payment) => ({ ...payment, amountMinor: "1215" })),
      );
      expect(paths(mismatches)).toEqual(["data.amountMinor", "data.amountMinor"]);
    });

    it("drops a generated field the consumer reads (createdAt)", () => {
      const mismatches = verifyResponse(
        created,
        answerWith(({ createdAt: _dropped, ...payment }) => payment),
      );
      expect(paths(mismatches)).toContain("data.createdAt");
    });
  });

  describe("catches a schema change a provider or consumer proposes (copies of the shared schemas)", () => {
    it("renaming a response field in the Payment schema", () => {
      const renamed = Payment.omit({ status: true }).extend({ state: Payment.shape.status });
      expect(paths(verifyResponse(created, exampleResponse(created), { schema: renamed }))).toEqual(["data.state"]);
    });

    it("making an optional request field required", () => {
      const optional = CreatePaymentInput.extend({ reference: z.string().optional() });
      const required = CreatePaymentInput.extend({ reference: z.string() });
      expect(verifyTrpcInput(created, createInput, { schema: optional })).toEqual([]);
      expect(paths(verifyTrpcInput(created, createInput, { schema: required }))).toEqual(["input.reference"]);
    });

    it("making a nullable response field required (declineReason)", () => {
      const required = Payment.extend({ declineReason: z.string() });
      expect(paths(verifyResponse(created, exampleResponse(created), { schema: required }))).toEqual([
        "data.declineReason",
      ]);
    });

    it("changing an enum value (PaymentStatus processing -> pending)", () => {
      const changed = Payment.extend({ status: z.enum(["pending", "succeeded", "declined"]) });
      const mismatches = verifyResponse(created, exampleResponse(created), { schema: changed });
      expect(mismatches).toEqual([{ path: "data.status", problem: expect.stringContaining('"pending"') }]);
    });

    it("changing the webhook acknowledgement's enum (applied -> ok)", () => {
      const changed = WebhookAck.extend({ status: z.enum(["ok", "duplicate", "ignored"]) });
      expect(paths(verifyResponse(settled, exampleResponse(settled), { schema: changed }))).toEqual(["body.status"]);
    });
  });

  describe("catches a consumer that breaks what it sends", () => {
    it("renames a payments.create input field (invoiceId -> invoice)", () => {
      const sent = renameKey({ ...createInput }, "invoiceId", "invoice");
      const mismatches = verifyTrpcInput(created, sent);
      expect(mismatches).toContainEqual({ path: "input.invoiceId", problem: 'missing (expected "I1")' });
      expect(mismatches).toContainEqual({ path: "input.invoice", problem: 'not in the interaction (got "I1")' });
      expect(paths(mismatches)).toContain("input.invoiceId");
    });

    it("renames a PaymentSettled field (payment.idempotencyKey -> payment.key)", () => {
      const mismatches = verifyRestRequest(
        settled,
        signedEvent({ ...event, payment: renameKey({ ...event.payment }, "idempotencyKey", "key") }),
      );
      expect(paths(mismatches)).toEqual(expect.arrayContaining(["body.payment.idempotencyKey", "body.payment.key"]));
    });

    it("changes the event's enum value (succeeded -> paid)", () => {
      const changed = SettledPayment.extend({ status: z.enum(["paid", "declined"]) });
      const sent = signedEvent({ ...event, payment: { ...event.payment, status: "paid" } });
      expect(paths(verifyRestRequest(settled, sent))).toContain("body.payment.status");
      const schema = PaymentSettled.extend({ payment: changed });
      expect(paths(verifyRestRequest(settled, signedEvent(event), { schema }))).toEqual(["body.payment.status"]);
    });

    it("signs with the wrong secret or another webhook id", () => {
      const { body, headers } = signedEvent(event);
      const forged = new WebhookSigner("someone-else").sign("evt_other", body);
      expect(paths(verifyRestRequest(settled, { body, headers: { ...headers, ...forged } }))).toEqual([
        "headers.webhook-signature",
        "headers.webhook-id",
      ]);
    });
  });
});
