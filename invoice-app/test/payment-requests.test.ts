import { createLogger, type Database, migrate } from "@invoicing/shared/platform";
import { testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paymentRequestHandler } from "../src/payments/payment-requests.js";
import { InvoicesRepository } from "../src/store/invoices-repository.js";
import { migrations } from "../src/store/migrations.js";

const unavailable = {
  createPayment: async () => ({ kind: "unavailable" as const, reason: "connection refused" }),
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
