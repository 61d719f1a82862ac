import { boundedInt, commonEnv, httpUrl, parseServiceEnv, port, positiveMs } from "@invoicing/shared/platform";
import * as z from "zod";

const PaymentProviderEnv = z.object({
  ...commonEnv,
  PORT: port(8082),
  /** invoice-app's webhook in its own team namespace. */
  EVENTS_WEBHOOK_URL: httpUrl("http://invoice-app.invoicing.svc.cluster.local:8081/webhooks/payment-events"),
  EVENTS_WEBHOOK_TIMEOUT_MS: positiveMs(5_000),
  /** Delivery attempts per event before it is parked as failed (with backoff capped at a minute: about 20 min). */
  EVENTS_MAX_ATTEMPTS: boundedInt(1, 1000, 30),
  /** Time the simulated processor takes to settle a payment. */
  SETTLEMENT_LATENCY_MS: positiveMs(50),
  /** Share of payments the simulated processor declines, 0..1. */
  DECLINE_RATE: z.coerce
    .number({ message: "must be a number between 0 and 1" })
    .min(0, "must be a number between 0 and 1")
    .max(1, "must be a number between 0 and 1")
    .default(0),
  /** Seed for the simulated processor's decisions, so tests can replay them. Unset: a random seed. */
  RANDOM_SEED: z.coerce.number({ message: "must be an integer" }).int("must be an integer").optional(),
  /** Settlements and event deliveries in flight at once per process; those claimed together share a statement or request. */
  WORKER_CONCURRENCY: boundedInt(1, 512, 256),
});

export type PaymentProviderConfig = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseServiceEnv(PaymentProviderEnv, env);
}
