import type { PaymentSettled } from "@invoicing/shared/contract";
import type { Database } from "@invoicing/shared/platform";
import { countingStatements, openMigrated, testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvoicesService } from "../src/invoices-service.js";
import { InvoicesRepository } from "../src/store/invoices-repository.js";
import { migrations } from "../src/store/migrations.js";

const settled = (invoiceId: string, eventId = `evt_${invoiceId}`): PaymentSettled => ({
  type: "PaymentSettled",
  eventId,
  occurredAt: "2026-01-01T12:00:00.000Z",
  payment: {
    id: `pay_${invoiceId}`,
    invoiceId,
    idempotencyKey: `invoice:${invoiceId}:attempt:1`,
    amountMinor: 250,
    currency: "EUR",
    status: "succeeded",
    declineReason: null,
  },
});

describe.each(testStores())("invoices service on $name", (store) => {
  let db: Database;
  let close: () => Promise<void>;
  let service: InvoicesService;
  let inbox: ReturnType<typeof countingStatements>;

  beforeAll(async () => {
    ({ db, close } = await openMigrated(store, "invoice-app", migrations));
    inbox = countingStatements(db, "INSERT INTO inbox");
    service = new InvoicesService(inbox.db, { maxPaymentAttempts: 5, maxWaitMs: 1_000 });
  });
  afterAll(() => close());

  it("applies settlement events delivered concurrently with one inbox statement, each exactly once", async () => {
    const repository = new InvoicesRepository(db);
    const ids = Array.from({ length: 30 }, (_, n) => `V${n}`);
    for (const id of ids) await repository.create({ id, amountMinor: 250, currency: "EUR" });
    await repository.startPayments(5);
    inbox.reset();
    const events = ids.map((id) => settled(id));
    const results = await Promise.all(events.map((e) => service.applySettlement(e)));
    expect(inbox.count()).toBe(1);
    expect(results).toEqual(ids.map(() => "applied"));
    expect(await service.applySettlement(events[0] as PaymentSettled)).toBe("duplicate");
    expect(await repository.countByStatus(ids)).toEqual({ unpaid: 0, pending: 0, paid: 30, failed: 0 });
  });

  it("applies one delivery's events for the same invoice in order, committed together", async () => {
    const repository = new InvoicesRepository(db);
    await repository.create({ id: "W1", amountMinor: 250, currency: "EUR" });
    await repository.startPayments(5, "W1");
    const succeeded = settled("W1", "evt_W1_succeeded");
    const declined: PaymentSettled = {
      ...succeeded,
      eventId: "evt_W1_declined",
      payment: { ...succeeded.payment, status: "declined", declineReason: "card declined" },
    };
    expect(await service.applySettlements([declined, succeeded])).toEqual(["applied", "ignored"]);
    expect(await repository.get("W1")).toMatchObject({ status: "failed", failureReason: "card declined" });
  });
});
