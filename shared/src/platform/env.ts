import * as z from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * Parses process environment with a zod object schema. The first invalid variable becomes one ConfigError line
 * that names it, e.g. `PORT: must be an integer between 1 and 65535 (got "abc")`.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: NodeJS.ProcessEnv): z.infer<S> {
  // Empty strings mean "unset": that is how Kubernetes and shells usually blank a variable.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const variable = issue?.path.map(String).join(".") || "environment";
  const raw = present[variable];
  const shown = raw === undefined ? "unset" : `got ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}...` : raw)}`;
  throw new ConfigError(`${variable}: ${issue?.message ?? "invalid"} (${shown})`);
}

export const port = (fallback: number) =>
  z.coerce
    .number({ message: "must be an integer between 1 and 65535" })
    .int("must be an integer between 1 and 65535")
    .min(0, "must be an integer between 1 and 65535")
    .max(65535, "must be an integer between 1 and 65535")
    .default(fallback);

export const positiveMs = (fallback: number) =>
  z.coerce
    .number({ message: "must be a whole number of milliseconds" })
    .int("must be a whole number of milliseconds")
    .nonnegative("must not be negative")
    .default(fallback);

export const boundedInt = (min: number, max: number, fallback: number) => {
  const message = `must be an integer between ${min} and ${max}`;
  return z.coerce.number({ message }).int(message).min(min, message).max(max, message).default(fallback);
};

export const httpUrl = (fallback: string) =>
  z
    .url({ protocol: /^https?$/, message: "must be an http:// or https:// URL" })
    .default(fallback)
    .transform((value) => value.replace(/\/+$/, ""));

export const postgresUrl = z
  .url({ protocol: /^postgres(ql)?$/, message: "must be a postgres:// or postgresql:// URL" })
  .optional();

export const nodeEnv = z.enum(["production", "development", "test"]).default("development");

export const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info");

/** HMAC secret for webhooks when WEBHOOK_SECRET is unset outside production: never use it anywhere real. */
export const DEV_WEBHOOK_SECRET = "dev-only-webhook-secret-do-not-use-in-production";

/** Variables every service reads. */
export const commonEnv = {
  NODE_ENV: nodeEnv,
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: boundedInt(1, 100, 10),
  /** Embedded store only: a directory to keep PGlite data in. Unset keeps it in memory. */
  DATA_DIR: z.string().optional(),
  BODY_LIMIT_BYTES: boundedInt(1024, 16 * 1024 * 1024, 64 * 1024),
  REQUEST_TIMEOUT_MS: positiveMs(10_000),
  /** Time between failing readiness and closing the listener, so load balancers stop routing first. */
  SHUTDOWN_DRAIN_DELAY_MS: positiveMs(0),
  /** Hard limit for the whole shutdown; keep it below the pod's terminationGracePeriodSeconds. */
  SHUTDOWN_TIMEOUT_MS: positiveMs(20_000),
  /** Finished queue jobs are deleted this long after they were queued; 0 keeps them. */
  JOBS_RETAIN_DONE_MS: positiveMs(7 * 24 * 60 * 60 * 1000),
  /** Shared HMAC-SHA256 secret that signs payment-provider's events to invoice-app. */
  WEBHOOK_SECRET: z
    .string()
    .min(32, "must be at least 32 characters (generate one with: openssl rand -base64 48)")
    .optional(),
};

/**
 * parseEnv plus the rules that span variables: production must name a shared PostgreSQL server (the embedded
 * store is per process, so replicas would each hold their own data) and a real webhook secret.
 */
export function parseServiceEnv<S extends z.ZodObject<typeof commonEnv>>(
  schema: S,
  env: NodeJS.ProcessEnv,
): z.infer<S> & { WEBHOOK_SECRET: string } {
  const config = parseEnv(schema, env);
  if (config.NODE_ENV === "production") {
    if (config.DATABASE_URL === undefined) {
      throw new ConfigError(
        "DATABASE_URL: is required when NODE_ENV=production (the embedded store is per-process and would split data between replicas) (unset)",
      );
    }
    if (config.WEBHOOK_SECRET === undefined) {
      throw new ConfigError("WEBHOOK_SECRET: is required when NODE_ENV=production (unset)");
    }
  }
  return { ...config, WEBHOOK_SECRET: config.WEBHOOK_SECRET ?? DEV_WEBHOOK_SECRET };
}
