import type { Database, Logger, ServiceApp } from "@invoicing/shared/platform";
import { startServiceApp } from "@invoicing/shared/platform";
import type { InvoiceAppConfig } from "./config.js";
import { createRoutes } from "./http/routes.js";
import { InvoicesService } from "./invoices-service.js";
import { createPaymentProviderClient, type PaymentProviderClient } from "./payments/payment-provider-client.js";
import { InvoicesRepository } from "./store/invoices-repository.js";
import { migrations } from "./store/migrations.js";
import { createInvoiceAppRouter } from "./trpc/router.js";

export const SERVICE_NAME = "invoice-app";

export interface InvoiceAppDeps {
  logger: Logger;
  db?: Database;
  paymentProvider?: PaymentProviderClient;
}

/** Composition root: builds the whole service from config and injected dependencies; main.ts only adds signals. */
export function startInvoiceApp(config: InvoiceAppConfig, deps: InvoiceAppDeps): Promise<ServiceApp> {
  return startServiceApp({
    name: SERVICE_NAME,
    config,
    logger: deps.logger,
    migrations,
    ...(deps.db === undefined ? {} : { db: deps.db }),
    async build(db) {
      const provider =
        deps.paymentProvider ??
        createPaymentProviderClient({
          baseUrl: config.PAYMENT_PROVIDER_URL,
          timeoutMs: config.PAYMENT_PROVIDER_TIMEOUT_MS,
        });
      const invoices = new InvoicesService(
        new InvoicesRepository(db),
        provider,
        deps.logger,
        config.PAYMENT_CONCURRENCY,
      );
      if (config.SEED_INVOICES) await invoices.seed();
      return { routes: createRoutes(invoices), router: createInvoiceAppRouter(invoices) };
    },
  });
}
