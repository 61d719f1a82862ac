import { request, testStores, waitFor } from "@invoicing/shared/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support.js";

interface LedgerEntry {
  invoiceId: string;
  status: string;
  idempotencyKey: string;
}

const legacy = async (url: string) =>
  (await request(url, "/invoices")).body as { InvoiceId: string; IsPaid: boolean }[];

// payment-provider settles every payment, but its settlement events go to a port where nothing listens: the only
// way invoice-app can learn the outcome is by asking again.
const lostEvents = { EVENTS_WEBHOOK_URL: "http://127.0.0.1:9/webhooks/payment-events", SETTLEMENT_LATENCY_MS: "20" };

describe.each(testStores())("pending invoices whose settlement event never arrives, on $name", (store) => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.stop();
    stack = undefined;
  });

  it("stay pending without the recheck, although the provider settled them", async () => {
    stack = await startStack(store, { provider: lostEvents, invoices: { PENDING_RECHECK_MS: "0" } });
    const started = await request(stack.invoices.url, "/invoices/pay", { method: "POST" });
    expect(started.body).toMatchObject({ started: 3 });
    const provider = stack.provider.url;
    await waitFor(
      async () => {
        const ledger = (await request(provider, "/payments")).body as LedgerEntry[];
        return ledger.length === 3 && ledger.every((payment) => payment.status === "succeeded") ? true : undefined;
      },
      { timeoutMs: 10_000, what: "payment-provider to settle all three" },
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await legacy(stack.invoices.url)).filter((invoice) => invoice.IsPaid)).toEqual([]);
  });

  it("are paid by asking payment-provider again under the same key, and nobody is charged twice", async () => {
    stack = await startStack(store, { provider: lostEvents, invoices: { PENDING_RECHECK_MS: "300" } });
    const started = await request(stack.invoices.url, "/invoices/pay", { method: "POST" });
    expect(started.body).toMatchObject({ started: 3 });
    const invoices = stack.invoices.url;
    await waitFor(async () => ((await legacy(invoices)).every((invoice) => invoice.IsPaid) ? true : undefined), {
      timeoutMs: 15_000,
      what: "every invoice to be paid",
    });

    const ledger = (await request(stack.provider.url, "/payments")).body as LedgerEntry[];
    expect(ledger).toHaveLength(3);
    expect(new Set(ledger.map((payment) => payment.invoiceId))).toEqual(new Set(["I1", "I2", "I3"]));
    for (const payment of ledger) {
      expect(payment).toMatchObject({
        status: "succeeded",
        idempotencyKey: `invoice:${payment.invoiceId}:attempt:1`,
      });
    }
  });
});
