import type { Database } from "./database.js";
import { openPostgres } from "./postgres.js";

export { type Database, isDataError, type Queryable, type SqlParam } from "./database.js";
export { type Migration, migrate } from "./migrate.js";

export interface DatabaseConfig {
  DATABASE_URL?: string | undefined;
  DATABASE_POOL_SIZE: number;
  DATA_DIR?: string | undefined;
  REQUEST_TIMEOUT_MS: number;
}

/** PostgreSQL through a pool when DATABASE_URL is set, embedded PGlite otherwise. */
export function openDatabase(config: DatabaseConfig, applicationName: string): Promise<Database> | Database {
  if (config.DATABASE_URL === undefined) {
    // Loaded on demand: services on PostgreSQL never pay PGlite's start-up cost.
    return import("./pglite.js").then(({ openPglite, openPgliteInMemory }) =>
      config.DATA_DIR === undefined ? openPgliteInMemory() : openPglite(config.DATA_DIR),
    );
  }
  return openPostgres({
    url: config.DATABASE_URL,
    poolSize: config.DATABASE_POOL_SIZE,
    applicationName,
    statementTimeoutMs: config.REQUEST_TIMEOUT_MS,
  });
}
