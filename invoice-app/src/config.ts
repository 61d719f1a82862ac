import { boundedInt, commonEnv, httpUrl, parseServiceEnv, port, positiveMs } from "@invoicing/shared/platform";
import * as z from "zod";

const InvoiceAppEnv = z.object({
  ...commonEnv,
  PORT: port(8081),
  /** payment-provider's Service in its own team namespace. */
  PAYMENT_PROVIDER_URL: httpUrl("http://payment-provider.payments.svc.cluster.local:8082"),
  PAYMENT_PROVIDER_TIMEOUT_MS: positiveMs(5_000),
  /** Calls per payment before its outcome is recorded as unknown (the invoice turns failed; pay resends it). */
  PAYMENT_MAX_ATTEMPTS: boundedInt(1, 100, 10),
  PAYMENT_RETRY_BASE_MS: positiveMs(200),
  PAYMENT_RETRY_MAX_MS: positiveMs(30_000),
  /**
   * A pending invoice that has heard nothing for this long has its payment request sent again under the same
   * idempotency key, which returns the payment as it stands: the outcome of a settlement event that never arrived
   * is recorded. 0 turns it off.
   */
  PENDING_RECHECK_MS: positiveMs(300_000),
  /**
   * The webhook secret being rotated out: events signed with it are still accepted, so payment-provider can move to
   * the new WEBHOOK_SECRET after invoice-app without a gap. Remove it once payment-provider signs with the new one.
   */
  WEBHOOK_SECRET_PREVIOUS: z
    .string()
    .min(32, "must be at least 32 characters (generate one with: openssl rand -base64 48)")
    .optional(),
  /**
   * Payment requests in flight at once per process. Requests claimed together share one payments.createBatch call,
   * so a slot costs little; fewer slots mean fewer payments per round trip (the bench settled about 1,800 instead of
   * 2,100 to 2,500 invoices/s with 64).
   */
  WORKER_CONCURRENCY: boundedInt(1, 512, 256),
  /** Longest a caller may block on `POST /invoices/pay?wait=...`. */
  PAY_WAIT_MAX_MS: positiveMs(120_000),
  /** Inserts the three demo invoices the original service started with (I1, I2, I3) when they are missing. */
  SEED_INVOICES: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("true")
    .transform((value) => value === "true"),
});

export type InvoiceAppConfig = ReturnType<typeof loadConfig>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseServiceEnv(InvoiceAppEnv, env);
}
