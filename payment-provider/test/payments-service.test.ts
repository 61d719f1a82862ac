import type { CreatePaymentInput } from "@invoicing/shared/contract";
import type { Database } from "@invoicing/shared/platform";
import { countingStatements, openMigrated, testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IdempotencyConflictError, PaymentsService } from "../src/payments-service.js";
import { migrations } from "../src/store/migrations.js";

const input = (n: number, overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
  idempotencyKey: `invoice:S${n}:attempt:1`,
  invoiceId: `S${n}`,
  amountMinor: 100 + n,
  currency: "EUR",
  ...overrides,
});

describe.each(testStores())("payments service on $name", (store) => {
  let db: Database;
  let close: () => Promise<void>;
  let service: PaymentsService;
  let inserts: ReturnType<typeof countingStatements>;
  let woken = 0;

  beforeAll(async () => {
    ({ db, close } = await openMigrated(store, "payment-provider", migrations));
    inserts = countingStatements(db, "INSERT INTO payments");
    service = new PaymentsService(inserts.db, {
      settlementJob: (id) => ({ queue: "settle", payload: { paymentId: id }, dedupeKey: id, maxAttempts: 3 }),
      afterCreate: () => {
        woken++;
      },
    });
  });
  afterAll(() => close());

  it("creates concurrent payments with one statement and one settlement job each", async () => {
    inserts.reset();
    woken = 0;
    const payments = await Promise.all(Array.from({ length: 40 }, (_, n) => service.create(input(n))));
    expect(inserts.count()).toBe(1);
    expect(woken).toBe(1);
    expect(payments.map((p) => p.invoiceId)).toEqual(Array.from({ length: 40 }, (_, n) => `S${n}`));
    expect(payments.every((p) => p.status === "processing")).toBe(true);
    const jobs = await db.query("SELECT count(*)::int AS n FROM jobs WHERE queue = 'settle'");
    expect(jobs).toEqual([{ n: 40 }]);
  });

  it("answers replays and conflicts in a shared statement per call: only the conflicting call fails", async () => {
    const first = await service.create(input(100));
    inserts.reset();
    const settled = await Promise.allSettled([
      service.create(input(100)),
      service.create(input(100, { amountMinor: 1 })),
      service.create(input(101)),
      service.create(input(101)),
    ]);
    expect(inserts.count()).toBe(1);
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled", "fulfilled"]);
    const [replay, conflict, created, sameKeyAgain] = settled;
    expect(replay).toEqual({ status: "fulfilled", value: first });
    expect((conflict as PromiseRejectedResult).reason).toBeInstanceOf(IdempotencyConflictError);
    expect((sameKeyAgain as PromiseFulfilledResult<unknown>).value).toEqual(
      (created as PromiseFulfilledResult<unknown>).value,
    );
    const ledger = await service.list();
    expect(ledger.filter((p) => p.invoiceId === "S101")).toHaveLength(1);
  });
});
