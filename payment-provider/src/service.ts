import { defineService } from "@invoicing/shared/platform";
import { SERVICE_NAME, startPaymentProvider } from "./app.js";
import { loadConfig, type PaymentProviderConfig } from "./config.js";

export const service = defineService<PaymentProviderConfig>({
  name: SERVICE_NAME,
  loadConfig,
  start: startPaymentProvider,
});
