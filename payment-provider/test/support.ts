import { createLogger, type ServiceApp } from "@invoicing/shared/platform";
import type { TestStore } from "@invoicing/shared/testing";
import { startPaymentProvider } from "../src/app.js";
import { loadConfig } from "../src/config.js";

export interface StartedProvider {
  app: ServiceApp;
  url: string;
  stop(): Promise<void>;
}

/** Starts the real payment-provider on a random loopback port with a fresh database of the given store. */
export async function startProvider(
  store: TestStore,
  env: Record<string, string> = {},
  deps: { fetch?: typeof fetch } = {},
): Promise<StartedProvider> {
  const database = await store.create();
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    RANDOM_SEED: "1",
    ...(database.url === undefined ? {} : { DATABASE_URL: database.url }),
    ...env,
  });
  const app = await startPaymentProvider(config, {
    db: await database.open(),
    logger: createLogger("payment-provider", config.LOG_LEVEL),
    ...deps,
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
