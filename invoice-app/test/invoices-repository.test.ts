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

  it("claims an invoice for payment once per attempt and keeps the attempt while pending", async () => {
    await repository.create({ id: "C1", amountMinor: 500, currency: "EUR" });
    const [first] = await repository.claimForPayment("C1");
    expect(first).toEqual({ invoiceId: "C1", amountMinor: 500, currency: "EUR", attempt: 1 });
    // still pending (outcome unknown): a retry reuses the attempt, hence the idempotency key
    const [again] = await repository.claimForPayment("C1");
    expect(again?.attempt).toBe(1);
    expect(await repository.settle(first as NonNullable<typeof first>, { status: "failed", reason: "declined" })).toBe(
      true,
    );
    expect((await repository.get("C1"))?.status).toBe("failed");
    // a failed invoice gets a fresh attempt
    const [retry] = await repository.claimForPayment("C1");
    expect(retry?.attempt).toBe(2);
  });

  it("ignores a late answer for an older attempt and never un-pays", async () => {
    await repository.create({ id: "C2", amountMinor: 700, currency: "GBP" });
    const [attempt1] = await repository.claimForPayment("C2");
    if (attempt1 === undefined) throw new Error("no claim");
    await repository.settle(attempt1, { status: "failed", reason: "x" });
    const [attempt2] = await repository.claimForPayment("C2");
    if (attempt2 === undefined) throw new Error("no claim");
    expect(await repository.settle(attempt1, { status: "paid", paymentId: "late" })).toBe(false);
    expect(await repository.settle(attempt2, { status: "paid", paymentId: "p2" })).toBe(true);
    expect(await repository.settle(attempt2, { status: "failed", reason: "late failure" })).toBe(false);
    expect((await repository.get("C2"))?.status).toBe("paid");
    expect(await repository.claimForPayment("C2")).toEqual([]);
  });
});
