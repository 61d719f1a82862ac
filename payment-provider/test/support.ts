import { createLogger } from "@invoicing/shared/platform";
import { type StartedService, startOnFreshDatabase, type TestStore } from "@invoicing/shared/testing";
import { startPaymentProvider } from "../src/app.js";
import { loadConfig } from "../src/config.js";

export type StartedProvider = StartedService;

/** Starts the real payment-provider on a random loopback port with a fresh database of the given store. */
export function startProvider(
  store: TestStore,
  env: Record<string, string> = {},
  deps: { fetch?: typeof fetch } = {},
): Promise<StartedProvider> {
  return startOnFreshDatabase(store, (base, db) => {
    const config = loadConfig({ ...base, RANDOM_SEED: "1", ...env });
    return startPaymentProvider(config, { db, logger: createLogger("payment-provider", config.LOG_LEVEL), ...deps });
  });
}
