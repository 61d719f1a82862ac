import { PAYMENT_EVENTS_PATH } from "@invoicing/shared/contract";
import { createLogger, type ServiceApp } from "@invoicing/shared/platform";
import { freePort, type TestStore } from "@invoicing/shared/testing";
import { type StartedProvider, startProvider } from "../../payment-provider/test/support.js";
import { startInvoiceApp } from "../src/app.js";
import { loadConfig } from "../src/config.js";

export interface StartedInvoiceApp {
  app: ServiceApp;
  url: string;
  stop(): Promise<void>;
}

/** Starts the real invoice-app on a random loopback port with a fresh database, talking to providerUrl. */
export async function startInvoices(
  store: TestStore,
  providerUrl: string,
  env: Record<string, string> = {},
): Promise<StartedInvoiceApp> {
  const database = await store.create();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    PAYMENT_PROVIDER_URL: providerUrl,
    ...(database.url === undefined ? {} : { DATABASE_URL: database.url }),
    ...env,
  });
  const app = await startInvoiceApp(config, {
    db: await database.open(),
    logger: createLogger("invoice-app", config.LOG_LEVEL),
  });
  return {
    app,
    url: app.url,
    async stop() {
      await app.stop();
      await app.db.close();
      await database.drop();
    },
  };
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
