import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { request, serverStore, type TestDatabase } from "@invoicing/shared/testing";
import { afterAll, describe, expect, it } from "vitest";
import { startScenario } from "./scenario.js";

const N = Number(process.env.FAULT_INVOICES ?? 1000);
const DEADLINE_MS = 300_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Scenario = Awaited<ReturnType<typeof startScenario>>;

/** Drives the batch through the faults, crashes, and recovery; returns what an operator would report. */
async function payThroughFaults(scenario: Scenario) {
  const started = Date.now();
  const [app1, app2] = [scenario.apps[0], scenario.apps[1] ?? scenario.apps[0]];
  const [provider1, provider2] = [scenario.providers[0], scenario.providers[1] ?? scenario.providers[0]];
  if (!app1 || !app2 || !provider1 || !provider2) throw new Error("scenario has no processes");

  const pay = await request(app1.url, "/invoices/pay", { method: "POST" });
  expect(pay.status).toBe(202);
  expect(pay.body).toMatchObject({ started: N });

  // crash each side in the middle of the batch, then bring it back on the same port and database
  await sleep(800);
  await app1.kill("SIGKILL");
  await sleep(300);
  await provider2.kill("SIGKILL");
  await sleep(500);
  await app1.start();
  await provider2.start();

  let recoveries = 0;
  let counts = await scenario.statuses();
  while (counts.paid !== N) {
    if (Date.now() - started > DEADLINE_MS) {
      throw new Error(`not all paid after ${DEADLINE_MS} ms: ${JSON.stringify(counts)}\n${await app2.tail()}`);
    }
    // An outcome recorded as unknown is recovered by paying again: the same idempotency key is resent.
    if (counts.pending === 0 && (counts.failed ?? 0) > 0) {
      recoveries++;
      await request(app2.url, "/invoices/pay", { method: "POST" });
    }
    await sleep(500);
    counts = await scenario.statuses();
  }
  return { counts, recoveries, seconds: (Date.now() - started) / 1000 };
}

async function assertExactlyOnce(
  scenario: Scenario,
  label: string,
  outcome: Awaited<ReturnType<typeof payThroughFaults>>,
) {
  // late duplicate deliveries are still in flight for a moment; let them land before counting
  await sleep(1_500);
  const counts = await scenario.statuses();
  const ledger = await scenario.ledger();
  const succeeded = ledger.filter((payment) => payment.status === "succeeded");
  const perInvoice = new Map<string, number>();
  for (const payment of succeeded) perInvoice.set(payment.invoiceId, (perInvoice.get(payment.invoiceId) ?? 0) + 1);
  const mismatched = succeeded.filter((payment) => {
    const invoice = scenario.expected.get(payment.invoiceId);
    return (
      invoice === undefined || invoice.amountMinor !== payment.amountMinor || invoice.currency !== payment.currency
    );
  });
  const { toProvider, toInvoices } = scenario.proxies;
  console.log(
    `[${label}] invoices ${N}: paid ${counts.paid}, pending ${counts.pending}, failed ${counts.failed}; ` +
      `ledger ${ledger.length} payments, ${succeeded.length} succeeded, ${perInvoice.size} invoices charged, ` +
      `${[...perInvoice.values()].filter((n) => n > 1).length} charged twice, ${mismatched.length} amount mismatches; ` +
      `faults: ${toProvider.stats.injected5xx} x 5xx, ${toProvider.stats.injectedTimeouts} x timeout, ` +
      `${toInvoices.stats.duplicates} duplicate webhooks (${toInvoices.stats.delayed} delayed), ` +
      `restarts: ${scenario.apps.map((a) => a.starts - 1).reduce((a, b) => a + b)} invoice-app, ` +
      `${scenario.providers.map((p) => p.starts - 1).reduce((a, b) => a + b)} payment-provider; ` +
      `recovery pays: ${outcome.recoveries}; ${outcome.seconds.toFixed(1)} s`,
  );
  expect(counts).toMatchObject({ paid: N, pending: 0, failed: 0, unpaid: 0 });
  expect(succeeded).toHaveLength(N);
  expect(perInvoice.size).toBe(N);
  expect(mismatched).toEqual([]);
  // every call for an invoice carried one stable idempotency key, so the provider recorded one payment each
  expect(ledger).toHaveLength(N);
  expect(toProvider.stats.injected5xx).toBeGreaterThan(0);
  expect(toProvider.stats.injectedTimeouts).toBeGreaterThan(0);
  expect(toInvoices.stats.duplicates).toBeGreaterThan(0);
}

const server = serverStore();
if (server === undefined) console.warn("skipping the PostgreSQL fault scenario: TEST_DATABASE_URL is unset");

describe.runIf(server)("exactly once under faults: 2 + 2 processes on PostgreSQL", () => {
  const databases: TestDatabase[] = [];
  let scenario: Scenario | undefined;
  afterAll(async () => {
    await scenario?.stop();
    for (const database of databases) await database.drop();
  });

  it(`pays ${N} invoices exactly once through 5xx, timeouts, duplicate webhooks and crashes`, async () => {
    if (server === undefined) return;
    const invoicesDb = await server.create();
    const providerDb = await server.create();
    databases.push(invoicesDb, providerDb);
    scenario = await startScenario({
      invoices: N,
      replicas: 2,
      invoiceStore: { DATABASE_URL: invoicesDb.url ?? "" },
      providerStore: { DATABASE_URL: providerDb.url ?? "" },
    });
    const outcome = await payThroughFaults(scenario);
    await assertExactlyOnce(scenario, "postgres, 2+2 processes", outcome);
  });
});

describe("exactly once under faults: one process each on PGlite data directories", () => {
  let scenario: Scenario | undefined;
  afterAll(async () => {
    await scenario?.stop();
  });

  it(`pays ${N} invoices exactly once through 5xx, timeouts, duplicate webhooks and crashes`, async () => {
    const dataDirs = await mkdtemp(path.join(tmpdir(), "faults-pglite-"));
    scenario = await startScenario({
      invoices: N,
      replicas: 1,
      invoiceStore: { DATA_DIR: path.join(dataDirs, "invoice-app") },
      providerStore: { DATA_DIR: path.join(dataDirs, "payment-provider") },
    });
    const outcome = await payThroughFaults(scenario);
    await assertExactlyOnce(scenario, "pglite, 1+1 processes", outcome);
  });
});
