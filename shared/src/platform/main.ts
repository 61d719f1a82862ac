import closeWithGrace from "close-with-grace";
import type { Database } from "./db/index.js";
import { ConfigError } from "./env.js";
import { createLogger, type Logger } from "./logger.js";
import type { ServiceApp } from "./service-app.js";

interface BaseConfig {
  LOG_LEVEL: string;
  SHUTDOWN_TIMEOUT_MS: number;
}

interface ServiceParts<C extends BaseConfig> {
  name: string;
  loadConfig(env?: NodeJS.ProcessEnv): C;
  start(config: C, deps: { logger: Logger; db?: Database }): Promise<ServiceApp>;
}

/** What every service exports from src/service.ts: how to read its config and start it. */
export interface ServiceDefinition<C extends BaseConfig> extends ServiceParts<C> {
  /**
   * Starts the service. An injected `db` stays open when the service stops (the dev loop keeps it across reloads);
   * without a logger it logs through its own, at config.LOG_LEVEL.
   */
  start(config: C, deps?: { logger?: Logger; db?: Database }): Promise<ServiceApp>;
}

export function defineService<C extends BaseConfig>(parts: ServiceParts<C>): ServiceDefinition<C> {
  return {
    ...parts,
    start: (config, deps = {}) =>
      parts.start(config, {
        logger: deps.logger ?? createLogger(parts.name, config.LOG_LEVEL),
        ...(deps.db === undefined ? {} : { db: deps.db }),
      }),
  };
}

/** The entry point of a service process (src/main.ts): config from the environment, logger, signals. */
export function runService<C extends BaseConfig>(service: ServiceDefinition<C>): Promise<void> {
  let config: C | undefined;
  return runMain(
    async () => {
      config = service.loadConfig();
      const logger = createLogger(service.name, config.LOG_LEVEL);
      const app = await service.start(config, { logger });
      return { logger, stop: app.stop };
    },
    () => config?.SHUTDOWN_TIMEOUT_MS ?? 20_000,
  );
}

export interface Stoppable {
  logger: Logger;
  stop(): Promise<void>;
}

/**
 * Process wiring shared by every service entry point: start, then stop gracefully on SIGTERM/SIGINT
 * (a second signal or the timeout forces exit). A configuration error prints one line and exits 1.
 */
export async function runMain(start: () => Promise<Stoppable>, shutdownTimeoutMs: () => number): Promise<void> {
  let app: Stoppable;
  try {
    app = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`config error: ${error.message}\n`);
    } else {
      process.stderr.write(`startup failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exit(1);
  }
  closeWithGrace({ delay: shutdownTimeoutMs() }, async ({ signal, err }) => {
    if (err) app.logger.error({ err }, "fatal error, shutting down");
    else app.logger.info({ signal }, "shutting down");
    await app.stop();
  });
}
