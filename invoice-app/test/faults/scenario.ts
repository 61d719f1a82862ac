import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PAYMENT_EVENTS_BATCH_PATH, PAYMENT_EVENTS_PATH } from "@invoicing/shared/contract";
import { freePort, request, trpc } from "@invoicing/shared/testing";
import { startChaosProxy } from "./chaos-proxy.js";
import { buildService, ServiceProcess } from "./processes.js";

export interface ScenarioOptions {
  invoices: number;
  replicas: number;
  /** Per replica: DATABASE_URL (shared by replicas) or a PGlite DATA_DIR (one replica only). */
  invoiceStore: Record<string, string>;
  providerStore: Record<string, string>;
}

const CURRENCIES: readonly [string, number][] = [
  ["EUR", 2],
  ["GBP", 2],
  ["DKK", 2],
  ["JPY", 0],
  ["BHD", 3],
];

/**
 * Real processes of both services behind fault-injecting proxies: 30% of payment calls answer 5xx, 10% time out
 * after the provider did the work, every webhook is delivered twice and some late (out of order). The harness
 * SIGKILLs an invoice-app and a payment-provider in the middle of the batch and restarts them.
 */
export async function startScenario(options: ScenarioOptions) {
  const invoiceEntry = buildService("invoice-app");
  const providerEntry = buildService("payment-provider");
  const logs = await mkdtemp(path.join(tmpdir(), "faults-"));
  const invoicePorts = await Promise.all(Array.from({ length: options.replicas }, () => freePort()));
  const providerPorts = await Promise.all(Array.from({ length: options.replicas }, () => freePort()));

  const toProvider = await startChaosProxy({
    targets: providerPorts.map((port) => `http://127.0.0.1:${port}`),
    seed: 7,
    fault: (url, random) => {
      // payments.create and payments.createBatch alike.
      if (!url.startsWith("/trpc/payments.create")) return undefined;
      const draw = random();
      return draw < 0.3 ? "5xx" : draw < 0.4 ? "timeout" : undefined;
    },
  });
  const toInvoices = await startChaosProxy({
    targets: invoicePorts.map((port) => `http://127.0.0.1:${port}`),
    seed: 11,
    // Every delivery, of one event or of a batch, arrives twice; some copies late.
    fault: (url, random) =>
      url === PAYMENT_EVENTS_PATH || url === PAYMENT_EVENTS_BATCH_PATH
        ? random() < 0.3
          ? "delay-duplicate"
          : "duplicate"
        : undefined,
  });

  const providers = providerPorts.map(
    (port, index) =>
      new ServiceProcess(
        `payment-provider-${index + 1}`,
        providerEntry,
        {
          ...options.providerStore,
          EVENTS_WEBHOOK_URL: `${toInvoices.url}${PAYMENT_EVENTS_PATH}`,
          EVENTS_WEBHOOK_TIMEOUT_MS: "2000",
          SETTLEMENT_LATENCY_MS: "20",
          RANDOM_SEED: "1",
        },
        port,
        path.join(logs, `payment-provider-${index + 1}.log`),
      ),
  );
  const apps = invoicePorts.map(
    (port, index) =>
      new ServiceProcess(
        `invoice-app-${index + 1}`,
        invoiceEntry,
        {
          ...options.invoiceStore,
          PAYMENT_PROVIDER_URL: toProvider.url,
          PAYMENT_PROVIDER_TIMEOUT_MS: "500",
          PAYMENT_RETRY_BASE_MS: "50",
          PAYMENT_RETRY_MAX_MS: "1000",
          PAYMENT_MAX_ATTEMPTS: "40",
          SEED_INVOICES: "false",
        },
        port,
        path.join(logs, `invoice-app-${index + 1}.log`),
      ),
  );
  for (const service of [...providers, ...apps]) await service.start();

  const expected = new Map<string, { amountMinor: number; currency: string }>();
  const ids = Array.from({ length: options.invoices }, (_, i) => `F${String(i + 1).padStart(6, "0")}`);
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids.slice(i, i + 25).map(async (id, j) => {
        const [currency] = CURRENCIES[(i + j) % CURRENCIES.length] ?? ["EUR"];
        const amountMinor = 100 + (((i + j) * 37) % 100_000);
        const created = await trpc(apps[0]?.url ?? "", "invoices.create", { id, amountMinor, currency });
        if (created.status !== 200) throw new Error(`creating ${id}: ${JSON.stringify(created.body)}`);
        expected.set(id, { amountMinor, currency });
      }),
    );
  }

  return {
    apps,
    providers,
    expected,
    proxies: { toProvider, toInvoices },
    logs,
    async statuses(): Promise<Record<string, number>> {
      const response = await trpc(apps[apps.length - 1]?.url ?? "", "invoices.list", undefined, "query");
      const list = (response.body as { result: { data: { status: string }[] } }).result.data;
      const counts: Record<string, number> = { unpaid: 0, pending: 0, paid: 0, failed: 0 };
      for (const invoice of list) counts[invoice.status] = (counts[invoice.status] ?? 0) + 1;
      return counts;
    },
    async ledger() {
      return (await request(providers[0]?.url ?? "", "/payments")).body as {
        invoiceId: string;
        amountMinor: number;
        currency: string;
        status: string;
        idempotencyKey: string;
      }[];
    },
    async stop() {
      for (const service of [...apps, ...providers]) await service.kill("SIGTERM");
      await toProvider.close();
      await toInvoices.close();
    },
  };
}
