import type { Database, Logger, ServiceApp } from "@invoicing/shared/platform";
import { startServiceApp, startWorker, WebhookSigner } from "@invoicing/shared/platform";
import type { InvoiceAppConfig } from "./config.js";
import { paymentEventRoutes } from "./http/payment-events.js";
import { createRoutes, invoiceFastQueries, invoiceFastRoutes } from "./http/routes.js";
import { InvoicesService } from "./invoices-service.js";
import { createPaymentProviderClient, type PaymentProviderClient } from "./payments/payment-provider-client.js";
import { paymentRequestHandler } from "./payments/payment-requests.js";
import { startPendingRecheck } from "./payments/pending-recheck.js";
import { InvoiceListCache } from "./store/invoice-list-cache.js";
import { InvoiceVersionWatch } from "./store/invoice-version-watch.js";
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
      const listCache = new InvoiceListCache(db, deps.logger);
      const versions = new InvoiceVersionWatch(db, deps.logger);
      const worker = startWorker(
        db,
        [paymentRequestHandler(db, provider, deps.logger, () => listCache.invalidate())],
        {
          concurrency: config.WORKER_CONCURRENCY,
          leaseMs: Math.max(5_000, config.PAYMENT_PROVIDER_TIMEOUT_MS * 3),
          idlePollMs: 100,
          retryBaseMs: config.PAYMENT_RETRY_BASE_MS,
          retryMaxMs: config.PAYMENT_RETRY_MAX_MS,
          retainDoneMs: config.JOBS_RETAIN_DONE_MS,
        },
        deps.logger,
      );
      const recheck =
        config.PENDING_RECHECK_MS > 0
          ? startPendingRecheck(new InvoicesRepository(db), deps.logger, {
              staleMs: config.PENDING_RECHECK_MS,
              maxAttempts: config.PAYMENT_MAX_ATTEMPTS,
              queued: () => worker.wake(),
            })
          : undefined;
      const invoices = new InvoicesService(db, {
        maxPaymentAttempts: config.PAYMENT_MAX_ATTEMPTS,
        maxWaitMs: config.PAY_WAIT_MAX_MS,
        afterPaymentsStarted: () => worker.wake(),
        listCache,
      });
      if (config.SEED_INVOICES) await invoices.seed();
      return {
        routes: {
          ...createRoutes(invoices),
          ...paymentEventRoutes(
            invoices,
            new WebhookSigner(
              config.WEBHOOK_SECRET,
              config.WEBHOOK_SECRET_PREVIOUS === undefined ? [] : [config.WEBHOOK_SECRET_PREVIOUS],
            ),
          ),
        },
        router: createInvoiceAppRouter(invoices, versions),
        fastRoutes: invoiceFastRoutes(invoices),
        fastQueries: invoiceFastQueries(invoices),
        stop: async () => {
          await recheck?.stop();
          await worker.stop();
          listCache.stop();
          versions.stop();
        },
      };
    },
  });
}
