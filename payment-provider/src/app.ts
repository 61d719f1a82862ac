import type { Database, Logger, ServiceApp } from "@invoicing/shared/platform";
import { startServiceApp } from "@invoicing/shared/platform";
import type { PaymentProviderConfig } from "./config.js";
import { createSettlementPolicy } from "./domain/settlement.js";
import { createRoutes } from "./http/routes.js";
import { PaymentsService } from "./payments-service.js";
import { migrations } from "./store/migrations.js";
import { PaymentsRepository } from "./store/payments-repository.js";
import { createPaymentProviderRouter } from "./trpc/router.js";

export const SERVICE_NAME = "payment-provider";

export interface PaymentProviderDeps {
  logger: Logger;
  db?: Database;
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
      const payments = new PaymentsService(
        new PaymentsRepository(db),
        createSettlementPolicy(config.DECLINE_RATE, seed),
      );
      return { routes: createRoutes(payments), router: createPaymentProviderRouter(payments) };
    },
  });
}
