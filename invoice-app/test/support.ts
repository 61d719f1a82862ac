import { PAYMENT_EVENTS_PATH } from "@invoicing/shared/contract";
import { createLogger } from "@invoicing/shared/platform";
import { freePort, type StartedService, startOnFreshDatabase, type TestStore } from "@invoicing/shared/testing";
import { type StartedProvider, startProvider } from "../../payment-provider/test/support.js";
import { startInvoiceApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";

export type StartedInvoiceApp = StartedService;

/** Starts the real invoice-app on a random loopback port with a fresh database, talking to providerUrl. */
export function startInvoices(
  store: TestStore,
  providerUrl: string,
  env: Record<string, string> = {},
): Promise<StartedInvoiceApp> {
  return startOnFreshDatabase(store, (base, db) => {
    const config = loadConfig({ ...base, PAYMENT_PROVIDER_URL: providerUrl, ...env });
    return startInvoiceApp(config, { db, logger: createLogger("invoice-app", config.LOG_LEVEL) });
  });
}

export interface Stack {
  provider: StartedProvider;
  invoices: StartedInvoiceApp;
  stop(): Promise<void>;
}

/** Both real services wired over real HTTP on loopback, each on its own database. */
export async function startStack(
  store: TestStore,
  env: { provider?: Record<string, string>; invoices?: Record<string, string> } = {},
): Promise<Stack> {
  // payment-provider must know invoice-app's webhook address before invoice-app starts
  const invoicesPort = await freePort();
  const provider = await startProvider(store, {
    EVENTS_WEBHOOK_URL: `http://127.0.0.1:${invoicesPort}${PAYMENT_EVENTS_PATH}`,
    ...env.provider,
  });
  const invoices = await startInvoices(store, provider.url, { PORT: String(invoicesPort), ...env.invoices });
  return {
    provider,
    invoices,
    async stop() {
      await invoices.stop();
      await provider.stop();
    },
  };
}
