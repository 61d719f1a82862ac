import { createLogger, runMain } from "@invoicing/shared/platform";
import { SERVICE_NAME, startPaymentProvider } from "./app.js";
import { loadConfig, type PaymentProviderConfig } from "./config.js";

let config: PaymentProviderConfig | undefined;
await runMain(
  async () => {
    config = loadConfig();
    const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
    const app = await startPaymentProvider(config, { logger });
    return { logger, stop: app.stop };
  },
  () => config?.SHUTDOWN_TIMEOUT_MS ?? 20_000,
);
