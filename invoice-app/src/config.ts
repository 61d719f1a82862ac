import { commonEnv, httpUrl, parseServiceEnv, port, positiveMs } from "@invoicing/shared/platform";
import { z } from "zod";

const InvoiceAppEnv = z.object({
  ...commonEnv,
  PORT: port(8081),
  /** payment-provider's Service in its own team namespace. */
  PAYMENT_PROVIDER_URL: httpUrl("http://payment-provider.payments.svc.cluster.local:8082"),
  PAYMENT_PROVIDER_TIMEOUT_MS: positiveMs(5_000),
  /** Payments in flight at once while paying a batch. */
  PAYMENT_CONCURRENCY: z.coerce
    .number({ message: "must be an integer between 1 and 256" })
    .int("must be an integer between 1 and 256")
    .min(1, "must be an integer between 1 and 256")
    .max(256, "must be an integer between 1 and 256")
    .default(16),
  /** Inserts the three demo invoices the original service started with (I1, I2, I3) when they are missing. */
  SEED_INVOICES: z
    .enum(["true", "false"], { message: 'must be "true" or "false"' })
    .default("true")
    .transform((value) => value === "true"),
});

export type InvoiceAppConfig = z.infer<typeof InvoiceAppEnv>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): InvoiceAppConfig {
  return parseServiceEnv(InvoiceAppEnv, env);
}
