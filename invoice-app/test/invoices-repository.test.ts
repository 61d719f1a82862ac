import { type Database, migrate } from "@invoicing/shared/platform";
import { testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvoiceExistsError, InvoicesRepository } from "../src/store/invoices-repository.js";
import { migrations } from "../src/store/migrations.js";

describe.each(testStores())("invoices repository on $name", (store) => {
  let db: Database;
  let drop: () => Promise<void>;
  let repository: InvoicesRepository;

  beforeAll(async () => {
    const database = await store.create();
    drop = database.drop;
    db = await database.open();
    await migrate(db, "invoice-app", migrations);
    repository = new InvoicesRepository(db);
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("creates, reads and lists invoices with integer minor units", async () => {
    const created = await repository.create({ id: "R1", amountMinor: 1215, currency: "EUR" });
    expect(created).toMatchObject({ id: "R1", amountMinor: 1215, currency: "EUR", status: "unpaid" });
    expect(await repository.get("R1")).toEqual(created);
    expect(await repository.get("missing")).toBeUndefined();
    expect((await repository.list()).map((i) => i.id)).toContain("R1");
  });

  it("refuses a second invoice with the same id", async () => {
    await repository.create({ id: "R2", amountMinor: 1, currency: "JPY" });
    await expect(repository.create({ id: "R2", amountMinor: 5, currency: "JPY" })).rejects.toBeInstanceOf(
      InvoiceExistsError,
    );
    expect((await repository.get("R2"))?.amountMinor).toBe(1);
  });

  it("seeds idempotently", async () => {
    const seed = [{ id: "S1", amountMinor: 10, currency: "EUR" }];
    await repository.insertMissing(seed);
    await repository.insertMissing(seed);
    expect((await repository.list()).filter((i) => i.id === "S1")).toHaveLength(1);
  });

  const jobsFor = async (invoiceId: string) =>
    (await db.query("SELECT dedupe_key, status FROM jobs WHERE payload->>'invoiceId' = $1 ORDER BY id", [
      invoiceId,
    ])) as {
      dedupe_key: string;
      status: string;
    }[];

  it("moves an invoice to pending and queues its payment request in the same statement", async () => {
    await repository.create({ id: "C1", amountMinor: 500, currency: "EUR" });
    expect(await repository.startPayments(5, "C1")).toEqual(["C1"]);
    expect((await repository.get("C1"))?.status).toBe("pending");
    expect(await jobsFor("C1")).toEqual([{ dedupe_key: "invoice:C1:attempt:1", status: "ready" }]);
    const [job] = (await db.query("SELECT payload, max_attempts FROM jobs WHERE dedupe_key = $1", [
      "invoice:C1:attempt:1",
    ])) as { payload: unknown; max_attempts: number }[];
    expect(job).toEqual({
      payload: { invoiceId: "C1", amountMinor: 500, currency: "EUR", idempotencyKey: "invoice:C1:attempt:1" },
      max_attempts: 5,
    });
    // pending: already in flight, nothing new is queued
    expect(await repository.startPayments(5, "C1")).toEqual([]);
  });

  it("takes a new attempt after a definite failure and keeps the key after an unknown outcome", async () => {
    await repository.create({ id: "C2", amountMinor: 700, currency: "GBP" });
    await repository.startPayments(5, "C2");
    expect(await repository.recordOutcome("C2", "invoice:C2:attempt:1", { kind: "declined", reason: "no" })).toBe(true);
    expect(await repository.get("C2")).toMatchObject({ status: "failed", failureReason: "no" });
    await repository.startPayments(5, "C2");
    await db.query("UPDATE jobs SET status = 'failed' WHERE dedupe_key = 'invoice:C2:attempt:2'");
    expect(await repository.recordOutcome("C2", "invoice:C2:attempt:2", { kind: "unknown", reason: "timeout" })).toBe(
      true,
    );
    // unknown outcome: paying again resends attempt 2 (its parked job is revived), never a new key
    expect(await repository.startPayments(5, "C2")).toEqual(["C2"]);
    expect(await jobsFor("C2")).toEqual([
      { dedupe_key: "invoice:C2:attempt:1", status: "ready" },
      { dedupe_key: "invoice:C2:attempt:2", status: "ready" },
    ]);
  });

  it("lets a late success land on an invoice given up as unknown, but not on a definite failure", async () => {
    await repository.create({ id: "C3", amountMinor: 900, currency: "DKK" });
    await repository.startPayments(5, "C3");
    await repository.recordOutcome("C3", "invoice:C3:attempt:1", { kind: "unknown", reason: "timeout" });
    const success = { kind: "succeeded", paymentId: "p1", amountMinor: 900, currency: "DKK" } as const;
    expect(await repository.recordOutcome("C3", "invoice:C3:attempt:1", success)).toBe(true);
    expect((await repository.get("C3"))?.status).toBe("paid");

    await repository.create({ id: "C4", amountMinor: 900, currency: "DKK" });
    await repository.startPayments(5, "C4");
    await repository.recordOutcome("C4", "invoice:C4:attempt:1", { kind: "refused", reason: "400" });
    expect(await repository.recordOutcome("C4", "invoice:C4:attempt:1", { ...success, paymentId: "p2" })).toBe(false);
    expect((await repository.get("C4"))?.status).toBe("failed");
  });

  it("ignores stale attempts, wrong amounts and anything after paid", async () => {
    await repository.create({ id: "C5", amountMinor: 100, currency: "EUR" });
    await repository.startPayments(5, "C5");
    await repository.recordOutcome("C5", "invoice:C5:attempt:1", { kind: "declined", reason: "x" });
    await repository.startPayments(5, "C5");
    const success = { kind: "succeeded", paymentId: "p", amountMinor: 100, currency: "EUR" } as const;
    expect(await repository.recordOutcome("C5", "invoice:C5:attempt:1", success)).toBe(false);
    expect(await repository.recordOutcome("C5", "invoice:C5:attempt:2", { ...success, amountMinor: 99 })).toBe(false);
    expect(await repository.recordOutcome("C5", "invoice:C5:attempt:2", { ...success, currency: "GBP" })).toBe(false);
    expect(await repository.recordOutcome("C5", "invoice:C5:attempt:2", success)).toBe(true);
    expect(await repository.recordOutcome("C5", "invoice:C5:attempt:2", { kind: "declined", reason: "late" })).toBe(
      false,
    );
    expect((await repository.get("C5"))?.status).toBe("paid");
    expect(await repository.startPayments(5, "C5")).toEqual([]);
  });

  it("re-queues a stale pending invoice's request under the same key, once per period, never beside a live one", async () => {
    await repository.create({ id: "P1", amountMinor: 700, currency: "EUR" });
    expect(await repository.startPayments(5, "P1")).toEqual(["P1"]);
    // Its first request is still queued: nothing to reconcile yet, however old.
    expect(await repository.requeueStalePending(0, 100, 5)).not.toContain("P1");

    await db.query("UPDATE jobs SET status = 'done' WHERE dedupe_key = 'invoice:P1:attempt:1'");
    expect(await repository.requeueStalePending(60_000, 100, 5)).not.toContain("P1"); // not stale yet
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await repository.requeueStalePending(10, 100, 5)).toEqual(["P1"]);
    const jobs = await jobsFor("P1");
    expect(jobs).toHaveLength(2);
    expect(jobs[1]?.dedupe_key).toMatch(/^invoice:P1:attempt:1:check:\d+$/);
    const [check] = (await db.query("SELECT payload FROM jobs WHERE dedupe_key = $1", [jobs[1]?.dedupe_key ?? ""])) as {
      payload: unknown;
    }[];
    expect(check?.payload).toEqual({
      invoiceId: "P1",
      amountMinor: 700,
      currency: "EUR",
      idempotencyKey: "invoice:P1:attempt:1",
    });
    // That check is queued now, and the invoice was just checked: the next sweep leaves it alone.
    expect(await repository.requeueStalePending(10, 100, 5)).not.toContain("P1");
    expect((await repository.get("P1"))?.status).toBe("pending");
  });

  it("changes nothing, not even the list version, when no pending invoice is stale", async () => {
    const version = async () =>
      ((await db.query("SELECT coalesce(sum(version), 0)::text AS v FROM invoice_versions")) as { v: string }[])[0]?.v;
    const before = await version();
    expect(await repository.requeueStalePending(3_600_000, 100, 5)).toEqual([]);
    expect(await version()).toBe(before);
  });

  it("records each event id once", async () => {
    expect(await repository.markEventSeen("evt-1")).toBe(true);
    expect(await repository.markEventSeen("evt-1")).toBe(false);
  });

  it("applies a batch of events in one statement as if one after another, answering each in order", async () => {
    for (const id of ["E1", "E2", "E3"]) {
      await repository.create({ id, amountMinor: 500, currency: "EUR" });
      await repository.startPayments(5, id);
    }
    const paid = (eventId: string, invoiceId: string, amountMinor = 500) => ({
      eventId,
      invoiceId,
      idempotencyKey: `invoice:${invoiceId}:attempt:1`,
      outcome: { kind: "succeeded" as const, paymentId: `pay-${eventId}`, amountMinor, currency: "EUR" },
    });
    const declined = (eventId: string, invoiceId: string) => ({
      eventId,
      invoiceId,
      idempotencyKey: `invoice:${invoiceId}:attempt:1`,
      outcome: { kind: "declined" as const, reason: "card declined" },
    });
    expect(
      await repository.applyEventsOnce([
        declined("evt-b1", "E1"),
        paid("evt-b2", "E2", 1),
        paid("evt-b1", "E1"),
        paid("evt-b3", "E1"),
        paid("evt-b4", "E3"),
        paid("evt-b4", "E3"),
      ]),
    ).toEqual(["applied", "ignored", "duplicate", "ignored", "applied", "duplicate"]);
    // E1: the decline came first and is final for its attempt, so the success after it in the batch changes nothing.
    expect(await repository.get("E1")).toMatchObject({ status: "failed", failureReason: "card declined" });
    expect(await repository.get("E2")).toMatchObject({ status: "pending" });
    expect(await repository.get("E3")).toMatchObject({ status: "paid" });
    expect(await repository.applyEventsOnce([paid("evt-b4", "E3"), paid("evt-b5", "E2")])).toEqual([
      "duplicate",
      "applied",
    ]);
    expect(await repository.get("E2")).toMatchObject({ status: "paid" });
  });

  it("counts a batch by status", async () => {
    expect(await repository.countByStatus(["C3", "C4", "C5", "nope"])).toEqual({
      unpaid: 0,
      pending: 0,
      paid: 2,
      failed: 1,
    });
  });
});
