import { createLogger, type Database, migrate } from "@invoicing/shared/platform";
import { testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PaymentProviderClient } from "../src/payments/payment-provider-client.js";
import { paymentRequestHandler } from "../src/payments/payment-requests.js";
import { InvoicesRepository } from "../src/store/invoices-repository.js";
import { migrations } from "../src/store/migrations.js";

const unavailable: PaymentProviderClient = {
  createPayment: async () => ({ kind: "unavailable", reason: "connection refused" }),
  createPayments: async () => ({ kind: "failed", reason: "connection refused" }),
};

describe.each(testStores())("payment requests that run out of attempts, on $name", (store) => {
  let db: Database;
  let drop: () => Promise<void>;
  let repository: InvoicesRepository;
  const handler = () => paymentRequestHandler(db, unavailable, createLogger("test", "silent"));

  beforeAll(async () => {
    const database = await store.create();
    drop = database.drop;
    db = await database.open();
    await migrate(db, "invoice-app", migrations);
    repository = new InvoicesRepository(db);
    for (const id of ["Q1", "Q2"]) await repository.create({ id, amountMinor: 100, currency: "EUR" });
    await repository.startPayments(5);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

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
  let drop: () => Promise<void>;
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
    const database = await store.create();
    drop = database.drop;
    db = await database.open();
    await migrate(db, "invoice-app", migrations);
    repository = new InvoicesRepository(db);
    for (const id of ["B1", "B2", "B3"]) await repository.create({ id, amountMinor: 100, currency: "EUR" });
    await repository.startPayments(5);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("go to payment-provider in one call and each answer lands on its own invoice", async () => {
    const handler = paymentRequestHandler(db, batchProvider, createLogger("test", "silent"));
    await handler.handleBatch?.([job("B1"), job("B2"), job("B3")]);
    expect(sent).toEqual([["B1", "B2", "B3"]]);
    expect(await repository.get("B1")).toMatchObject({ status: "paid" });
    expect(await repository.get("B2")).toMatchObject({ status: "failed", failureReason: expect.stringMatching(/409/) });
    expect(await repository.get("B3")).toMatchObject({ status: "pending" });
  });

  it("throw when the call failed as a whole, so the queue runs each on its own", async () => {
    const handler = paymentRequestHandler(db, unavailable, createLogger("test", "silent"));
    await expect(handler.handleBatch?.([job("B3")])).rejects.toThrow("connection refused");
    expect(await repository.get("B3")).toMatchObject({ status: "pending" });
  });
});
