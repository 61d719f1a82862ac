import { type Database, migrate } from "@invoicing/shared/platform";
import { testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrations } from "../src/store/migrations.js";
import { type NewPayment, PaymentsRepository } from "../src/store/payments-repository.js";

const payment = (overrides: Partial<NewPayment> = {}): NewPayment => ({
  id: `pay_${Math.random().toString(36).slice(2)}`,
  idempotencyKey: "invoice:I1:attempt:1",
  invoiceId: "I1",
  amountMinor: 1215,
  currency: "EUR",
  status: "succeeded",
  declineReason: null,
  ...overrides,
});

describe.each(testStores())("payments repository on $name", (store) => {
  let db: Database;
  let drop: () => Promise<void>;
  let repository: PaymentsRepository;

  beforeAll(async () => {
    const database = await store.create();
    drop = database.drop;
    db = await database.open();
    await migrate(db, "payment-provider", migrations);
    repository = new PaymentsRepository(db);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("stores a payment and reads it back by id and key, amounts as integers", async () => {
    const { payment: stored, created } = await repository.insertOnce(payment({ idempotencyKey: "k-read" }));
    expect(created).toBe(true);
    expect(await repository.findById(stored.id)).toEqual(stored);
    expect(await repository.findByIdempotencyKey("k-read")).toEqual(stored);
    expect(stored.amountMinor).toBe(1215);
    expect(new Date(stored.createdAt).toISOString()).toBe(stored.createdAt);
  });

  it("keeps the first payment for an idempotency key", async () => {
    const first = await repository.insertOnce(payment({ idempotencyKey: "k-once" }));
    const second = await repository.insertOnce(payment({ idempotencyKey: "k-once", amountMinor: 999 }));
    expect(second.created).toBe(false);
    expect(second.payment).toEqual(first.payment);
  });

  it("creates exactly one payment when the same key arrives concurrently", async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => repository.insertOnce(payment({ idempotencyKey: "k-race" }))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.payment.id)).size).toBe(1);
    const ledger = await repository.list();
    expect(ledger.filter((p) => p.idempotencyKey === "k-race")).toHaveLength(1);
  });

  it("inserts several payments in one statement, answers in order, and queues a job only for the new ones", async () => {
    const existing = await repository.insertOnce(payment({ idempotencyKey: "k-many-old" }));
    const batch = [
      payment({ idempotencyKey: "k-many-1" }),
      payment({ idempotencyKey: "k-many-old", amountMinor: 1 }),
      payment({ idempotencyKey: "k-many-2", invoiceId: "I2" }),
      payment({ idempotencyKey: "k-many-1" }),
    ];
    const jobs = new Map(
      batch.map((p) => [p.id, { queue: "settle", payload: { paymentId: p.id }, dedupeKey: p.id, maxAttempts: 3 }]),
    );
    const results = await repository.insertEachOnce(batch, jobs);
    expect(results.map((r) => r.created)).toEqual([true, false, true, false]);
    expect(results.map((r) => r.payment.idempotencyKey)).toEqual(["k-many-1", "k-many-old", "k-many-2", "k-many-1"]);
    expect(results[1]?.payment).toEqual(existing.payment);
    expect(results[3]?.payment).toEqual(results[0]?.payment);
    expect(results[2]?.payment.invoiceId).toBe("I2");
    const queued = await db.query("SELECT dedupe_key FROM jobs WHERE queue = 'settle' ORDER BY dedupe_key");
    expect(queued.map((row) => (row as { dedupe_key: string }).dedupe_key).sort()).toEqual(
      [results[0]?.payment.id, results[2]?.payment.id].sort(),
    );
  });

  it("refuses rows that break the schema's rules", async () => {
    await expect(repository.insertOnce(payment({ idempotencyKey: "k-neg", amountMinor: -1 }))).rejects.toThrow();
  });
});
