import { createLogger, type Database, RetryBatchLaterError } from "@invoicing/shared/platform";
import { openMigrated, testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PaymentProviderClient } from "../src/payments/payment-provider-client.js";
import { paymentRequestHandler } from "../src/payments/payment-requests.js";
import { InvoicesRepository } from "../src/store/invoices-repository.js";
import { migrations } from "../src/store/migrations.js";

const unavailable: PaymentProviderClient = {
  createPayment: async () => ({ kind: "unavailable", reason: "connection refused" }),
  createPayments: async () => ({ kind: "unavailable", reason: "connection refused" }),
};

describe.each(testStores())("payment requests that run out of attempts, on $name", (store) => {
  let db: Database;
  let close: () => Promise<void>;
  let repository: InvoicesRepository;
  const handler = () => paymentRequestHandler(db, unavailable, createLogger("test", "silent"));

  beforeAll(async () => {
    ({ db, close } = await openMigrated(store, "invoice-app", migrations));
    repository = new InvoicesRepository(db);
    for (const id of ["Q1", "Q2"]) await repository.create({ id, amountMinor: 100, currency: "EUR" });
    await repository.startPayments(5);
  });
  afterAll(() => close());

  const job = (invoiceId: string, dedupeKey: string) => ({
    id: 1,
    dedupeKey,
    attempt: 5,
    maxAttempts: 5,
    payload: { invoiceId, amountMinor: 100, currency: "EUR", idempotencyKey: `invoice:${invoiceId}:attempt:1` },
  });

  it("fail the invoice with its outcome unknown when it was the first request", async () => {
    await handler().onParked?.(job("Q1", "invoice:Q1:attempt:1"), "unavailable", db);
    expect((await repository.get("Q1"))?.status).toBe("failed");
  });

  it("leave the invoice pending when it was a recheck of a payment already accepted", async () => {
    await handler().onParked?.(job("Q2", "invoice:Q2:attempt:1:check:1700000000000"), "unavailable", db);
    expect((await repository.get("Q2"))?.status).toBe("pending");
  });
});

describe.each(testStores())("payment requests claimed together, on $name", (store) => {
  let db: Database;
  let close: () => Promise<void>;
  let repository: InvoicesRepository;
  const sent: string[][] = [];

  const payment = (invoiceId: string, status: "processing" | "succeeded") => ({
    id: `pay_${invoiceId}`,
    invoiceId,
    amountMinor: 100,
    currency: "EUR",
    status,
    declineReason: null,
    idempotencyKey: `invoice:${invoiceId}:attempt:1`,
    createdAt: "2026-01-01T12:00:00.000Z",
  });
  const batchProvider: PaymentProviderClient = {
    createPayment: async () => {
      throw new Error("a batch of requests must not be sent one by one");
    },
    createPayments: async (inputs) => {
      sent.push(inputs.map((input) => input.invoiceId));
      return {
        kind: "results",
        results: [
          { kind: "payment", payment: payment("B1", "succeeded") },
          { kind: "rejected", reason: "payment-provider answered 409: idempotencyKey reused" },
          { kind: "payment", payment: payment("B3", "processing") },
        ],
      };
    },
  };
  const job = (invoiceId: string) => ({
    id: 1,
    dedupeKey: `invoice:${invoiceId}:attempt:1`,
    attempt: 1,
    maxAttempts: 5,
    payload: { invoiceId, amountMinor: 100, currency: "EUR", idempotencyKey: `invoice:${invoiceId}:attempt:1` },
  });

  beforeAll(async () => {
    ({ db, close } = await openMigrated(store, "invoice-app", migrations));
    repository = new InvoicesRepository(db);
    for (const id of ["B1", "B2", "B3"]) await repository.create({ id, amountMinor: 100, currency: "EUR" });
    await repository.startPayments(5);
  });
  afterAll(() => close());

  it("go to payment-provider in one call and each answer lands on its own invoice", async () => {
    const handler = paymentRequestHandler(db, batchProvider, createLogger("test", "silent"));
    await handler.handleBatch?.([job("B1"), job("B2"), job("B3")]);
    expect(sent).toEqual([["B1", "B2", "B3"]]);
    expect(await repository.get("B1")).toMatchObject({ status: "paid" });
    expect(await repository.get("B2")).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/409/) });
    expect(await repository.get("B3")).toMatchObject({ status: "pending" });
  });

  it("ask the queue to retry them later when the call went unanswered, and to send them one by one when it was refused", async () => {
    const unanswered = paymentRequestHandler(db, unavailable, createLogger("test", "silent"));
    const later = handlerError(unanswered.handleBatch?.([job("B3")]));
    await expect(later).rejects.toBeInstanceOf(RetryBatchLaterError);
    await expect(later).rejects.toThrow("connection refused");
    const refusing: PaymentProviderClient = {
      ...unavailable,
      createPayments: async () => ({ kind: "refused", reason: "payment-provider answered 404: no such procedure" }),
    };
    const refused = handlerError(
      paymentRequestHandler(db, refusing, createLogger("test", "silent")).handleBatch?.([job("B3")]),
    );
    await expect(refused).rejects.toThrow("404");
    await expect(refused).rejects.not.toBeInstanceOf(RetryBatchLaterError);
    expect(await repository.get("B3")).toMatchObject({ status: "pending" });
  });
});

/** The rejection of a handler call, kept so several expectations can look at it. */
function handlerError(call: Promise<void> | undefined): Promise<void> {
  if (call === undefined) return Promise.reject(new Error("the handler has no handleBatch"));
  const settled = call.then(
    () => undefined,
    (error: unknown) => Promise.reject(error),
  );
  settled.catch(() => {});
  return settled;
}
