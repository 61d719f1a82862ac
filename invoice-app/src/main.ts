import { createLogger, runMain } from "@invoicing/shared/platform";
import { SERVICE_NAME, startInvoiceApp } from "./app.js";
import { type InvoiceAppConfig, loadConfig } from "./config.js";

let config: InvoiceAppConfig | undefined;
await runMain(
  async () => {
    config = loadConfig();
    const logger = createLogger(SERVICE_NAME, config.LOG_LEVEL);
    const app = await startInvoiceApp(config, { logger });
    return { logger, stop: app.stop };
  },
  () => config?.SHUTDOWN_TIMEOUT_MS ?? 20_000,
);
