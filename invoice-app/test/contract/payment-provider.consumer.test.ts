import {
  type CreatePaymentInteraction,
  type CreatePaymentsInteraction,
  exampleOf,
  type LegacyPayInteraction,
  PAYMENT_PROVIDER_INTERACTIONS,
} from "@invoicing/shared/contract";
import {
  exampleRequestBody,
  request,
  restInteractionHandlers,
  trpcInteractionHandler,
} from "@invoicing/shared/testing";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import {
  createPaymentProviderClient,
  type PaymentBatchResult,
  type PaymentCallResult,
} from "../../src/payments/payment-provider-client.js";
import { contractMockServer, PROVIDER_URL, providerMsw } from "./support.js";

const createCalls = PAYMENT_PROVIDER_INTERACTIONS.filter(
  (i): i is CreatePaymentInteraction => i.kind === "trpc" && i.procedure === "payments.create",
);
const batchCalls = PAYMENT_PROVIDER_INTERACTIONS.filter(
  (i): i is CreatePaymentsInteraction => i.kind === "trpc" && i.procedure === "payments.createBatch",
);
const legacyCalls = PAYMENT_PROVIDER_INTERACTIONS.filter((i): i is LegacyPayInteraction => i.kind === "rest");
const { server, recorder } = contractMockServer(PAYMENT_PROVIDER_INTERACTIONS);

const client = (fetch?: typeof globalThis.fetch) =>
  createPaymentProviderClient({ baseUrl: PROVIDER_URL, timeoutMs: 5_000, ...(fetch === undefined ? {} : { fetch }) });

/** How invoice-app must read each answer: a payment, a refusal (4xx: the invoice fails) or unavailable (retry). */
function expectedOutcome(interaction: CreatePaymentInteraction): PaymentCallResult {
  const { response } = interaction;
  if ("data" in response) return { kind: "payment", payment: exampleOf(response.data) };
  const message = exampleOf<string>(response.error.message);
  if (response.status < 500) {
    return { kind: "rejected", reason: `payment-provider answered ${response.status}: ${message}` };
  }
  return { kind: "unavailable", reason: `payment-provider unavailable: ${message}` };
}

describe("invoice-app's payment-provider client against the contract (msw-trpc)", () => {
  it.each(createCalls)("$name", async (interaction) => {
    server.use(trpcInteractionHandler(providerMsw.payments.create.mutation, [interaction], recorder));
    const result = await client().createPayment(interaction.request.input);
    await recorder.assertAllMatched();
    expect(recorder.matched).toEqual([interaction.name]);
    expect(result).toEqual(expectedOutcome(interaction));
  });

  it("fails with a diff against the closest interaction when the client sends a different payment", async () => {
    server.use(trpcInteractionHandler(providerMsw.payments.create.mutation, createCalls, recorder));
    const [success] = createCalls;
    if (success === undefined) throw new Error("no payments.create interaction");
    const result = await client().createPayment({ ...success.request.input, currency: "GBP" });
    expect(result.kind).toBe("unavailable");
    await expect(recorder.assertAllMatched()).rejects.toThrow(
      `closest interaction: "${success.name}" (1 difference(s))\n    input.currency: expected "EUR", got "GBP"`,
    );
  });

  it("fails when the client renames a field it sends, even where the values are right", async () => {
    // The real client over a fetch that renames invoiceId on the wire, as a changed consumer would.
    const renaming: typeof fetch = (url, init) => {
      const body = typeof init?.body === "string" ? init.body.replace('"invoiceId"', '"invoice"') : init?.body;
      return fetch(url, { ...init, body: body ?? null });
    };
    server.use(trpcInteractionHandler(providerMsw.payments.create.mutation, createCalls, recorder));
    const [success] = createCalls;
    if (success === undefined) throw new Error("no payments.create interaction");
    await client(renaming).createPayment(success.request.input);
    const failure = recorder.assertAllMatched();
    await expect(failure).rejects.toThrow(`closest interaction: "${success.name}"`);
    await expect(failure).rejects.toThrow('input.invoiceId: missing (expected "I1")');
    await expect(failure).rejects.toThrow('input.invoice: not in the interaction (got "I1")');
    await expect(failure).rejects.toThrow(
      "input.invoiceId: schema: Invalid input: expected string, received undefined",
    );
  });

  it("reports a request to a path no interaction declares", async () => {
    server.use(trpcInteractionHandler(providerMsw.payments.create.mutation, createCalls, recorder));
    const [success] = createCalls;
    if (success === undefined) throw new Error("no payments.create interaction");
    const misrouted = createPaymentProviderClient({ baseUrl: `${PROVIDER_URL}/v2`, timeoutMs: 5_000 });
    expect((await misrouted.createPayment(success.request.input)).kind).toBe("unavailable");
    await expect(recorder.assertAllMatched()).rejects.toThrow(
      "request: expected POST /trpc/payments.create, got POST /v2/trpc/payments.create",
    );
  });
});

/** How invoice-app must read a batch's answer: per item, refused as a whole (send one by one) or unavailable (retry). */
function expectedBatchOutcome(interaction: CreatePaymentsInteraction): PaymentBatchResult {
  const { response } = interaction;
  if ("data" in response) {
    return {
      kind: "results",
      results: exampleOf(response.data).results.map((item) =>
        item.result === "payment"
          ? { kind: "payment", payment: item.payment }
          : { kind: "rejected", reason: `payment-provider answered 409: ${item.message}` },
      ),
    };
  }
  const message = exampleOf<string>(response.error.message);
  return response.status < 500
    ? { kind: "refused", reason: `payment-provider answered ${response.status}: ${message}` }
    : { kind: "unavailable", reason: `payment-provider unavailable: ${message}` };
}

describe("invoice-app's batched payment requests against the contract (msw-trpc)", () => {
  it.each(batchCalls)("$name", async (interaction) => {
    server.use(trpcInteractionHandler(providerMsw.payments.createBatch.mutation, [interaction], recorder));
    const result = await client().createPayments(interaction.request.input.payments);
    await recorder.assertAllMatched();
    expect(recorder.matched).toEqual([interaction.name]);
    expect(result).toEqual(expectedBatchOutcome(interaction));
  });

  it("fails with a diff when the client sends a payment of the batch with a renamed field", async () => {
    const renaming: typeof fetch = (url, init) => {
      const body = typeof init?.body === "string" ? init.body.replace('"currency"', '"currencyCode"') : init?.body;
      return fetch(url, { ...init, body: body ?? null });
    };
    const [success] = batchCalls;
    if (success === undefined) throw new Error("no payments.createBatch interaction");
    server.use(trpcInteractionHandler(providerMsw.payments.createBatch.mutation, [success], recorder));
    expect((await client(renaming).createPayments(success.request.input.payments)).kind).toBe("unavailable");
    const failure = recorder.assertAllMatched();
    await expect(failure).rejects.toThrow(`closest interaction: "${success.name}"`);
    await expect(failure).rejects.toThrow('input.payments[0].currency: missing (expected "EUR")');
  });
});

describe("invoice-app's batched payment requests against an answer outside the contract", () => {
  it.each([
    ["a body that is no createBatch answer", { result: { data: { id: "pay_1", status: "succeeded" } } }],
    ["answers for other payments", { result: { data: { results: [] } } }],
  ])("falls back to one call per payment on %s", async (_name, body) => {
    server.use(http.post(`${PROVIDER_URL}/trpc/payments.createBatch`, () => HttpResponse.json(body)));
    const [success] = batchCalls;
    if (success === undefined) throw new Error("no payments.createBatch interaction");
    expect(await client().createPayments(success.request.input.payments)).toEqual({
      kind: "refused",
      reason: "payment-provider's createBatch answer does not fit the 2 payments sent",
    });
  });
});

describe("the legacy POST /payments/pay contract as the original API's clients call it (plain msw)", () => {
  it.each(legacyCalls)("$name", async (interaction) => {
    server.use(...restInteractionHandlers(PROVIDER_URL, [interaction], recorder));
    const response = await request(PROVIDER_URL, interaction.path, {
      method: "POST",
      body: exampleRequestBody(interaction),
      headers: { "content-type": "application/json" },
    });
    await recorder.assertAllMatched();
    expect(recorder.matched).toEqual([interaction.name]);
    expect(response).toMatchObject({ status: interaction.response.status, body: exampleOf(interaction.response.body) });
  });
});
