import {
  type CreatePaymentInteraction,
  type CreatePaymentsInteraction,
  PAYMENT_PROVIDER_INTERACTIONS,
} from "@invoicing/shared/contract";
import { testStores, trpc, trpcInteractionHandler, waitFor } from "@invoicing/shared/testing";
import { http, passthrough } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedInvoiceApp, startInvoices } from "../support.js";
import { contractMockServer, PROVIDER_URL, providerMsw } from "./support.js";

const firstPayment = PAYMENT_PROVIDER_INTERACTIONS.find(
  (interaction): interaction is CreatePaymentInteraction =>
    interaction.kind === "trpc" && interaction.name === "payments.create accepts a new payment, still processing",
);
const firstBatch = PAYMENT_PROVIDER_INTERACTIONS.find(
  (interaction): interaction is CreatePaymentsInteraction =>
    interaction.kind === "trpc" &&
    interaction.name === "payments.createBatch accepts new payments and answers each in order",
);
const { server, recorder } = contractMockServer(PAYMENT_PROVIDER_INTERACTIONS);

// The whole consumer path: pay -> outbox row -> worker -> real client -> wire, against the contract mock.
describe.each(testStores())("invoice-app's payment worker sends the contract's request on $name", (store) => {
  let invoices: StartedInvoiceApp;
  beforeAll(async () => {
    invoices = await startInvoices(store, PROVIDER_URL, { SEED_INVOICES: "false", PAYMENT_MAX_ATTEMPTS: "1" });
  });
  afterAll(() => invoices?.stop());

  it("for the first attempt at invoice I1", async () => {
    if (firstPayment === undefined) throw new Error("no first-payment interaction");
    server.use(
      http.all(`${invoices.url}/*`, () => passthrough()),
      trpcInteractionHandler(providerMsw.payments.create.mutation, [firstPayment], recorder),
    );
    const { invoiceId, amountMinor, currency } = firstPayment.request.input;
    expect((await trpc(invoices.url, "invoices.create", { id: invoiceId, amountMinor, currency })).status).toBe(200);
    expect((await trpc(invoices.url, "invoices.pay", { id: invoiceId })).status).toBe(200);
    await waitFor(async () => (recorder.matched.length + recorder.reports.length > 0 ? true : undefined), {
      what: "the worker's payments.create call",
    });
    await recorder.assertAllMatched();
    expect(recorder.matched).toEqual([firstPayment.name]);
    const invoice = await trpc(invoices.url, "invoices.get", { id: invoiceId }, "query");
    expect(invoice.body).toMatchObject({ result: { data: { id: invoiceId, status: "pending" } } });
  });

  it("and reports what it sent when no interaction matches", async () => {
    if (firstPayment === undefined) throw new Error("no first-payment interaction");
    server.use(
      http.all(`${invoices.url}/*`, () => passthrough()),
      trpcInteractionHandler(providerMsw.payments.create.mutation, [firstPayment], recorder),
    );
    expect((await trpc(invoices.url, "invoices.create", { id: "I9", amountMinor: 500, currency: "GBP" })).status).toBe(
      200,
    );
    expect((await trpc(invoices.url, "invoices.pay", { id: "I9" })).status).toBe(200);
    await waitFor(async () => (recorder.reports.length > 0 ? true : undefined), { what: "the unmatched call" });
    await expect(recorder.assertAllMatched()).rejects.toThrow('input.invoiceId: expected "I1", got "I9"');
    // One attempt only (see PAYMENT_MAX_ATTEMPTS): the invoice fails instead of retrying into the next test.
    const failed = await waitFor(async () => {
      const invoice = await trpc(invoices.url, "invoices.get", { id: "I9" }, "query");
      return JSON.stringify(invoice.body).includes('"status":"failed"') ? invoice.body : undefined;
    });
    expect(failed).toMatchObject({
      result: { data: { failureReason: expect.stringMatching(/matches no interaction/) } },
    });
  });
});

describe.each(testStores())(
  "invoice-app's payment worker batches the requests it claims together on $name",
  (store) => {
    let invoices: StartedInvoiceApp;
    beforeAll(async () => {
      invoices = await startInvoices(store, PROVIDER_URL, { SEED_INVOICES: "false", PAYMENT_MAX_ATTEMPTS: "1" });
    });
    afterAll(() => invoices?.stop());

    it("into one payments.createBatch call, and each answer lands on its invoice", async () => {
      if (firstBatch === undefined) throw new Error("no payments.createBatch interaction");
      server.use(
        http.all(`${invoices.url}/*`, () => passthrough()),
        trpcInteractionHandler(providerMsw.payments.createBatch.mutation, [firstBatch], recorder),
      );
      for (const { invoiceId, amountMinor, currency } of firstBatch.request.input.payments) {
        const created = await trpc(invoices.url, "invoices.create", { id: invoiceId, amountMinor, currency });
        expect(created.status).toBe(200);
      }
      // One statement queues both requests, so the worker claims them together.
      expect((await trpc(invoices.url, "invoices.payAll", {})).status).toBe(200);
      await waitFor(async () => (recorder.matched.length + recorder.reports.length > 0 ? true : undefined), {
        what: "the worker's payments.createBatch call",
      });
      await recorder.assertAllMatched();
      expect(recorder.matched).toEqual([firstBatch.name]);
      for (const { invoiceId } of firstBatch.request.input.payments) {
        const invoice = await trpc(invoices.url, "invoices.get", { id: invoiceId }, "query");
        expect(invoice.body).toMatchObject({ result: { data: { id: invoiceId, status: "pending" } } });
      }
    });
  },
);
