import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { AnyRouter } from "@trpc/server";
import { type Database, type DatabaseConfig, type Migration, migrate, openDatabase } from "./db/index.js";
import { createHttpServer, type FastQueries, type FastRoutes, type Readiness, type Routes } from "./http-server.js";
import type { Logger } from "./logger.js";
import { createHttpMetrics } from "./metrics.js";

export interface CommonConfig extends DatabaseConfig {
  HOST: string;
  PORT: number;
  BODY_LIMIT_BYTES: number;
  REQUEST_TIMEOUT_MS: number;
  SHUTDOWN_DRAIN_DELAY_MS: number;
}

export interface ServiceParts {
  routes: Routes;
  router: AnyRouter;
  /** REST GETs the service may answer from memory (see FastRoutes). */
  fastRoutes?: FastRoutes;
  /** tRPC queries the service may answer from memory (see FastQueries). */
  fastQueries?: FastQueries;
  /** Stops background work; called after the listener closed and before the database closes. */
  stop?: () => Promise<void>;
}

export interface ServiceAppOptions {
  name: string;
  config: CommonConfig;
  logger: Logger;
  migrations: readonly Migration[];
  /** Injected store for tests; opened from config otherwise, and then owned (closed) by the app. */
  db?: Database;
  build(db: Database): ServiceParts | Promise<ServiceParts>;
}

export interface ServiceApp {
  readonly db: Database;
  readonly server: http.Server;
  readonly port: number;
  readonly url: string;
  /** Fails readiness, waits the drain delay, lets in-flight requests finish, then releases resources. */
  stop(): Promise<void>;
}

const READINESS_DB_TIMEOUT_MS = 2_000;

export async function startServiceApp(options: ServiceAppOptions): Promise<ServiceApp> {
  const { name, config, logger } = options;
  const ownsDb = options.db === undefined;
  const db = options.db ?? (await openDatabase(config, name));
  let draining = false;
  try {
    const applied = await migrate(db, name, options.migrations);
    logger.info({ store: db.kind, applied }, "database ready");
    const parts = await options.build(db);
    const metrics = createHttpMetrics(name);
    const readiness = async (): Promise<Readiness> => {
      if (draining) return { ready: false, checks: { shutdown: "draining" } };
      try {
        await withTimeout(db.query("SELECT 1"), READINESS_DB_TIMEOUT_MS, "database ping timed out");
        return { ready: true, checks: { database: "ok", migrations: "applied" } };
      } catch (error) {
        return { ready: false, checks: { database: (error as Error).message } };
      }
    };
    const server = createHttpServer({
      logger,
      metrics,
      routes: parts.routes,
      ...(parts.fastRoutes === undefined ? {} : { fastRoutes: parts.fastRoutes }),
      trpc: {
        router: parts.router,
        createContext: () => ({}),
        ...(parts.fastQueries === undefined ? {} : { fastQueries: parts.fastQueries }),
      },
      readiness,
      bodyLimitBytes: config.BODY_LIMIT_BYTES,
      requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(config.PORT, config.HOST, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;
    logger.info({ port, store: db.kind }, "listening");

    let stopping: Promise<void> | undefined;
    const stop = () => {
      stopping ??= (async () => {
        draining = true;
        logger.info({ drainDelayMs: config.SHUTDOWN_DRAIN_DELAY_MS }, "draining");
        if (config.SHUTDOWN_DRAIN_DELAY_MS > 0) await delay(config.SHUTDOWN_DRAIN_DELAY_MS);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Keep-alive connections become idle only when their in-flight request ends; close each as soon as it does.
        const reaper = setInterval(() => server.closeIdleConnections(), 50);
        server.closeIdleConnections();
        await closed.finally(() => clearInterval(reaper));
        await parts.stop?.();
        if (ownsDb) await db.close();
        logger.info("stopped");
      })();
      return stopping;
    };
    return { db, server, port, url: `http://${host}:${port}`, stop };
  } catch (error) {
    if (ownsDb) await db.close().catch(() => {});
    throw error;
  }
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
