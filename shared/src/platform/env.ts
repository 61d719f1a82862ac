import { z } from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

/**
 * The embedded store lives inside one process: replicas would each hold their own data. Production must
 * name a shared PostgreSQL server.
 */
export function parseServiceEnv<S extends z.ZodObject<typeof commonEnv>>(
  schema: S,
  env: NodeJS.ProcessEnv,
): z.infer<S> {
  const config = parseEnv(schema, env);
  if (config.NODE_ENV === "production" && config.DATABASE_URL === undefined) {
    throw new ConfigError(
      "DATABASE_URL: is required when NODE_ENV=production (the embedded store is per-process and would split data between replicas) (unset)",
    );
  }
  return config;
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

/** Variables every service reads. */
export const commonEnv = {
  NODE_ENV: nodeEnv,
  HOST: z.string().default("0.0.0.0"),
  LOG_LEVEL: logLevel,
  DATABASE_URL: postgresUrl,
  DATABASE_POOL_SIZE: z.coerce
    .number({ message: "must be an integer between 1 and 100" })
    .int("must be an integer between 1 and 100")
    .min(1, "must be an integer between 1 and 100")
    .max(100, "must be an integer between 1 and 100")
    .default(10),
  /** Embedded store only: a directory to keep PGlite data in. Unset keeps it in memory. */
  DATA_DIR: z.string().optional(),
  BODY_LIMIT_BYTES: z.coerce
    .number({ message: "must be a whole number of bytes" })
    .int("must be a whole number of bytes")
    .min(1024, "must be at least 1024")
    .max(16 * 1024 * 1024, "must be at most 16 MiB")
    .default(64 * 1024),
  REQUEST_TIMEOUT_MS: positiveMs(10_000),
  /** Time between failing readiness and closing the listener, so load balancers stop routing first. */
  SHUTDOWN_DRAIN_DELAY_MS: positiveMs(0),
  /** Hard limit for the whole shutdown; keep it below the pod's terminationGracePeriodSeconds. */
  SHUTDOWN_TIMEOUT_MS: positiveMs(20_000),
};
