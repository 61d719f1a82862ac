import type { Database, Logger, ServiceApp } from "@invoicing/shared/platform";
import { startServiceApp, startWorker } from "@invoicing/shared/platform";
import type { PaymentProviderConfig } from "./config.js";
import { createSettlementPolicy } from "./domain/settlement.js";
import { createSettlementJobs } from "./events/settlement-jobs.js";
import { WebhookSender } from "./events/webhook-sender.js";
import { createRoutes } from "./http/routes.js";
import { PaymentsService } from "./payments-service.js";
import { migrations } from "./store/migrations.js";
import { createPaymentProviderRouter } from "./trpc/router.js";

export const SERVICE_NAME = "payment-provider";

export interface PaymentProviderDeps {
  logger: Logger;
  db?: Database;
  /** Replaces the HTTP client that delivers webhooks (contract tests, fault injection). */
  fetch?: typeof fetch;
}

/** Composition root: builds the whole service from config and injected dependencies; main.ts only adds signals. */
export function startPaymentProvider(config: PaymentProviderConfig, deps: PaymentProviderDeps): Promise<ServiceApp> {
  return startServiceApp({
    name: SERVICE_NAME,
    config,
    logger: deps.logger,
    migrations,
    ...(deps.db === undefined ? {} : { db: deps.db }),
    build(db) {
      const seed = config.RANDOM_SEED ?? Math.floor(Math.random() * 2 ** 31);
      const jobs = createSettlementJobs({
        db,
        policy: createSettlementPolicy(config.DECLINE_RATE, seed),
        webhook: new WebhookSender({
          url: config.EVENTS_WEBHOOK_URL,
          secret: config.WEBHOOK_SECRET,
          timeoutMs: config.EVENTS_WEBHOOK_TIMEOUT_MS,
          ...(deps.fetch === undefined ? {} : { fetch: deps.fetch }),
        }),
        logger: deps.logger,
        latencyMs: config.SETTLEMENT_LATENCY_MS,
        eventMaxAttempts: config.EVENTS_MAX_ATTEMPTS,
      });
      const worker = startWorker(
        db,
        jobs.handlers,
        {
          concurrency: config.WORKER_CONCURRENCY,
          leaseMs: Math.max(5_000, config.EVENTS_WEBHOOK_TIMEOUT_MS * 3),
          idlePollMs: 100,
          retryBaseMs: 250,
          retryMaxMs: 60_000,
          retainDoneMs: config.JOBS_RETAIN_DONE_MS,
        },
        deps.logger,
      );
      const payments = new PaymentsService(db, {
        settlementJob: jobs.settlementJob,
        // Its settlement becomes due after the simulated latency: look for it then (wakes coalesce).
        afterCreate: () => worker.wake(config.SETTLEMENT_LATENCY_MS),
      });
      return {
        routes: createRoutes(payments),
        router: createPaymentProviderRouter(payments),
        stop: () => worker.stop(),
      };
    },
  });
}
