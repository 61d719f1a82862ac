import { createDatabase, settings, withClient } from "../lib/config.js";
import { freePort, httpRequest, sample, sleep } from "../lib/processes.js";
import { fmt, type Report } from "../lib/report.js";
import { type StartedService, startService } from "../lib/services.js";
import type { UsageLog } from "./usage.js";

const SIZES = [1_000, 10_000, 100_000] as const;
const TARGET_N = 10_000;
const TARGET_RATE = 2_000;
const CURRENCIES = ["EUR", "GBP", "DKK", "JPY", "BHD"];
export const PAYMENTS_PHASE = `payments N=${TARGET_N.toLocaleString("en-US")}`;

interface Ledger {
  invoices: { id: string; amountMinor: number; currency: string; status: string; paymentId: string | null }[];
  payments: {
    id: string;
    invoiceId: string;
    idempotencyKey: string;
    amountMinor: number;
    currency: string;
    status: string;
  }[];
  failedJobs: number;
}

interface Store {
  name: "PostgreSQL" | "PGlite";
  start(): Promise<{ app: StartedService; provider: StartedService; stop(): Promise<void> } & Access>;
}

interface Access {
  /** How the invoices were created, for the report. */
  createdBy: string;
  create(n: number): Promise<number>;
  /** Server clock now, ms. */
  now(): Promise<number>;
  counts(): Promise<{ paid: number; pending: number; failed: number; unpaid: number }>;
  /** Server time of the last change to a paid invoice, ms. */
  lastPaidAt(): Promise<number>;
  ledger(): Promise<Ledger>;
}

const ids = (n: number) => Array.from({ length: n }, (_, i) => `bench-${String(i + 1).padStart(7, "0")}`);
const amountOf = (i: number) => 100 + ((i * 37) % 100_000);

function serviceEnv(invoicesPort: number) {
  const p = settings.payments;
  return {
    provider: {
      EVENTS_WEBHOOK_URL: `http://127.0.0.1:${invoicesPort}/webhooks/payment-events`,
      SETTLEMENT_LATENCY_MS: p.SETTLEMENT_LATENCY_MS,
      DECLINE_RATE: p.DECLINE_RATE,
      WORKER_CONCURRENCY: p.PROVIDER_WORKER_CONCURRENCY,
      DATABASE_POOL_SIZE: p.DATABASE_POOL_SIZE,
      EVENTS_WEBHOOK_TIMEOUT_MS: p.EVENTS_WEBHOOK_TIMEOUT_MS,
    },
    invoices: (providerUrl: string) => ({
      PAYMENT_PROVIDER_URL: providerUrl,
      SEED_INVOICES: "false",
      WORKER_CONCURRENCY: p.INVOICE_WORKER_CONCURRENCY,
      DATABASE_POOL_SIZE: p.DATABASE_POOL_SIZE,
      PAYMENT_PROVIDER_TIMEOUT_MS: p.PAYMENT_PROVIDER_TIMEOUT_MS,
    }),
  };
}

function postgresStore(adminUrl: string): Store {
  return {
    name: "PostgreSQL",
    async start() {
      const invoicesDb = await createDatabase(adminUrl, "invoices");
      const providerDb = await createDatabase(adminUrl, "payments");
      const invoicesPort = await freePort();
      const env = serviceEnv(invoicesPort);
      const provider = await startService("payment-provider", { databaseUrl: providerDb.url, env: env.provider });
      const app = await startService("invoice-app", {
        databaseUrl: invoicesDb.url,
        port: invoicesPort,
        env: env.invoices(provider.url),
      });
      const query = async <T>(url: string, sql: string, params: unknown[] = []) =>
        withClient(url, async (client) => (await client.query(sql, params)).rows as T[]);
      return {
        app,
        provider,
        createdBy: "one SQL INSERT ... SELECT FROM generate_series into invoice-app's database",
        async create(n) {
          const started = performance.now();
          await query(
            invoicesDb.url,
            `INSERT INTO invoices (id, amount_minor, currency)
             SELECT 'bench-' || lpad(g::text, 7, '0'), 100 + (((g - 1) * 37) % 100000), ($2::text[])[1 + (g - 1) % 5]
               FROM generate_series(1, $1::int) g`,
            [n, CURRENCIES],
          );
          return performance.now() - started;
        },
        async now() {
          const [row] = await query<{ t: Date }>(invoicesDb.url, "SELECT clock_timestamp() AS t");
          return row?.t.getTime() ?? Number.NaN;
        },
        async counts() {
          const [row] = await query<Record<string, number>>(
            invoicesDb.url,
            `SELECT count(*) FILTER (WHERE status = 'paid')::int AS paid,
                    count(*) FILTER (WHERE status = 'pending')::int AS pending,
                    count(*) FILTER (WHERE status = 'failed')::int AS failed,
                    count(*) FILTER (WHERE status = 'unpaid')::int AS unpaid
               FROM invoices`,
          );
          return {
            paid: row?.paid ?? 0,
            pending: row?.pending ?? 0,
            failed: row?.failed ?? 0,
            unpaid: row?.unpaid ?? 0,
          };
        },
        async lastPaidAt() {
          const [row] = await query<{ t: Date }>(
            invoicesDb.url,
            "SELECT max(updated_at) AS t FROM invoices WHERE status = 'paid'",
          );
          return row?.t.getTime() ?? Number.NaN;
        },
        async ledger() {
          const invoices = await query<Ledger["invoices"][number]>(
            invoicesDb.url,
            `SELECT id, amount_minor::int AS "amountMinor", currency, status, payment_id AS "paymentId" FROM invoices`,
          );
          const payments = await query<Ledger["payments"][number]>(
            providerDb.url,
            `SELECT id, invoice_id AS "invoiceId", idempotency_key AS "idempotencyKey", amount_minor::int AS "amountMinor",
                    currency, status FROM payments`,
          );
          const failed = async (url: string) =>
            (await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM jobs WHERE status = 'failed'"))[0]?.n ?? 0;
          return { invoices, payments, failedJobs: (await failed(invoicesDb.url)) + (await failed(providerDb.url)) };
        },
        async stop() {
          await app.running.stop();
          await provider.running.stop();
          await invoicesDb.drop();
          await providerDb.drop();
        },
      };
    },
  };
}

function pgliteStore(): Store {
  return {
    name: "PGlite",
    async start() {
      const invoicesPort = await freePort();
      const env = serviceEnv(invoicesPort);
      const provider = await startService("payment-provider", { env: env.provider });
      const app = await startService("invoice-app", { port: invoicesPort, env: env.invoices(provider.url) });
      const list = async () => {
        const response = await httpRequest(`${app.url}/trpc/invoices.list`);
        return (
          JSON.parse(response.body) as { result: { data: Ledger["invoices"][number][] & { updatedAt: string }[] } }
        ).result.data as (Ledger["invoices"][number] & { updatedAt: string })[];
      };
      return {
        app,
        provider,
        createdBy: "tRPC invoices.create, 16 calls in flight",
        async create(n) {
          const started = performance.now();
          const all = ids(n);
          let next = 0;
          await Promise.all(
            Array.from({ length: 16 }, async () => {
              while (next < all.length) {
                const i = next++;
                const response = await httpRequest(`${app.url}/trpc/invoices.create`, {
                  method: "POST",
                  body: { id: all[i], amountMinor: amountOf(i), currency: CURRENCIES[i % CURRENCIES.length] },
                });
                if (response.status !== 200) throw new Error(`invoices.create: ${response.status} ${response.body}`);
              }
            }),
          );
          return performance.now() - started;
        },
        now: async () => Date.now(),
        async counts() {
          const counts = { paid: 0, pending: 0, failed: 0, unpaid: 0 };
          for (const invoice of await list()) counts[invoice.status as keyof typeof counts]++;
          return counts;
        },
        async lastPaidAt() {
          return Math.max(...(await list()).filter((i) => i.status === "paid").map((i) => Date.parse(i.updatedAt)));
        },
        async ledger() {
          const invoices = (await list()).map((invoice) => ({ ...invoice, paymentId: null }));
          const payments = JSON.parse((await httpRequest(`${provider.url}/payments`)).body) as Ledger["payments"];
          return { invoices, payments, failedJobs: 0 };
        },
        async stop() {
          await app.running.stop();
          await provider.running.stop();
        },
      };
    },
  };
}

/** The exactly-once check: one succeeded payment per invoice, matching amount and currency, nothing else. */
function checkLedger(n: number, ledger: Ledger): string[] {
  const problems: string[] = [];
  const invoices = new Map(ledger.invoices.map((invoice) => [invoice.id, invoice]));
  if (invoices.size !== n) problems.push(`${invoices.size} invoices instead of ${n}`);
  const notPaid = ledger.invoices.filter((invoice) => invoice.status !== "paid").length;
  if (notPaid > 0) problems.push(`${notPaid} invoices not paid`);
  if (ledger.payments.length !== n) problems.push(`${ledger.payments.length} payments in the ledger instead of ${n}`);
  const perInvoice = new Map<string, number>();
  let mismatched = 0;
  let wrongKey = 0;
  let unlinked = 0;
  for (const payment of ledger.payments) {
    if (payment.status !== "succeeded") continue;
    perInvoice.set(payment.invoiceId, (perInvoice.get(payment.invoiceId) ?? 0) + 1);
    const invoice = invoices.get(payment.invoiceId);
    if (invoice === undefined || invoice.amountMinor !== payment.amountMinor || invoice.currency !== payment.currency) {
      mismatched++;
    }
    if (payment.idempotencyKey !== `invoice:${payment.invoiceId}:attempt:1`) wrongKey++;
    if (invoice?.paymentId !== null && invoice?.paymentId !== undefined && invoice.paymentId !== payment.id) unlinked++;
  }
  const succeeded = [...perInvoice.values()].reduce((sum, count) => sum + count, 0);
  if (succeeded !== n) problems.push(`${succeeded} succeeded payments instead of ${n}`);
  const twice = [...perInvoice.values()].filter((count) => count > 1).length;
  if (twice > 0) problems.push(`${twice} invoices charged more than once`);
  const uncharged = n - [...invoices.keys()].filter((id) => perInvoice.has(id)).length;
  if (uncharged > 0) problems.push(`${uncharged} invoices without a succeeded payment`);
  if (mismatched > 0) problems.push(`${mismatched} payments whose amount or currency differ from the invoice`);
  if (wrongKey > 0) problems.push(`${wrongKey} payments under an unexpected idempotency key`);
  if (unlinked > 0) problems.push(`${unlinked} invoices linked to another payment id`);
  if (ledger.failedJobs > 0) problems.push(`${ledger.failedJobs} jobs parked as failed`);
  return problems;
}

/**
 * 2. Creates N invoices, POST /invoices/pay, and times until the last one is paid (server clock: from just before
 * the pay request to the newest paid invoice's updated_at), then checks the ledger for exactly-once payment.
 */
export async function paymentsSection(report: Report, usage: UsageLog): Promise<void> {
  const area = "2 Payments end to end";
  const store = settings.databaseUrl === undefined ? pgliteStore() : postgresStore(settings.databaseUrl);
  const p = settings.payments;
  report.notes.push(
    `payment flow on ${store.name}: SETTLEMENT_LATENCY_MS=${p.SETTLEMENT_LATENCY_MS} DECLINE_RATE=${p.DECLINE_RATE} ` +
      `WORKER_CONCURRENCY=${p.INVOICE_WORKER_CONCURRENCY} (invoice-app) / ${p.PROVIDER_WORKER_CONCURRENCY} (payment-provider) ` +
      `DATABASE_POOL_SIZE=${p.DATABASE_POOL_SIZE} PAYMENT_PROVIDER_TIMEOUT_MS=${p.PAYMENT_PROVIDER_TIMEOUT_MS} ` +
      `EVENTS_WEBHOOK_TIMEOUT_MS=${p.EVENTS_WEBHOOK_TIMEOUT_MS} LOG_LEVEL=warn; one process of each service, not pinned`,
  );
  let lastRate: number | undefined;
  for (const n of SIZES) {
    const label = `N=${n.toLocaleString("en-US")}`;
    const target =
      n === TARGET_N ? { atLeast: TARGET_RATE, label: `>= ${TARGET_RATE.toLocaleString("en-US")} /s` } : undefined;
    const targetLabel = target?.label ?? "";
    if (store.name === "PGlite" && n > 1_000) {
      report.skipped(
        area,
        `${label}: settled/s`,
        targetLabel,
        "on PGlite only N=1,000 runs; set BENCH_DATABASE_URL for PostgreSQL",
      );
      continue;
    }
    if (n === 100_000 && !settings.large) {
      const estimate = lastRate === undefined ? "" : ` (about ${Math.round(n / lastRate)} s at the N=10,000 rate)`;
      report.skipped(area, `${label}: settled/s`, targetLabel, `takes minutes${estimate}: set BENCH_LARGE=1 to run it`);
      continue;
    }
    const stack = await store.start();
    try {
      const createdMs = await stack.create(n);
      const startedAt = await stack.now();
      const sampler = sample([stack.app.running.pid, stack.provider.running.pid]);
      const pay = await httpRequest(`${stack.app.url}/invoices/pay`, { method: "POST" });
      const started = (JSON.parse(pay.body) as { started?: number }).started;
      if (pay.status !== 202 || started !== n) throw new Error(`POST /invoices/pay: ${pay.status} ${pay.body}`);
      const deadline = performance.now() + Math.max(120_000, n * 100);
      let counts = await stack.counts();
      // The time comes from the server's clock (the last updated_at), not from this poll: it only has to notice the
      // end, and polls seldom because each count scans the invoices and competes with the flow it watches.
      while (counts.paid < n && performance.now() < deadline) {
        await sleep(1000);
        counts = await stack.counts();
      }
      const used = sampler.stop();
      const phase = `payments ${label}`;
      const appUsage = used.get(stack.app.running.pid);
      const providerUsage = used.get(stack.provider.running.pid);
      if (appUsage !== undefined) usage.record("invoice-app", phase, appUsage);
      if (providerUsage !== undefined) usage.record("payment-provider", phase, providerUsage);
      if (counts.paid < n) {
        report.add({
          area,
          measure: `${label}: settled/s`,
          measured: `${counts.paid} paid`,
          target: targetLabel,
          verdict: "miss",
          note: `not all paid within the deadline: ${JSON.stringify(counts)}`,
        });
        continue;
      }
      const seconds = ((await stack.lastPaidAt()) - startedAt) / 1000;
      const rate = n / seconds;
      lastRate = rate;
      const note = `${fmt.seconds(seconds)} from POST /invoices/pay to the last paid; invoices created in ${fmt.ms(createdMs)} by ${stack.createdBy}`;
      if (target === undefined) report.info(area, `${label}: settled/s`, fmt.perSecond(rate), note);
      else report.check(area, `${label}: settled/s`, rate, fmt.perSecond, target, note);
      const problems = checkLedger(n, await stack.ledger());
      report.add({
        area,
        measure: `${label}: exactly once (ledger)`,
        measured: problems.length === 0 ? `${n.toLocaleString("en-US")} x 1` : `${problems.length} problems`,
        target: "N payments, 1 per invoice, none pending",
        verdict: problems.length === 0 ? "pass" : "miss",
        ...(problems.length === 0 ? {} : { note: problems.join("; ") }),
      });
    } catch (error) {
      report.error(area, `${label}: settled/s`, error);
    } finally {
      await stack.stop();
    }
  }
}
