import pg from "pg";
import type { Database, Queryable, SqlParam } from "./database.js";

export interface PostgresOptions {
  url: string;
  poolSize: number;
  applicationName: string;
  statementTimeoutMs: number;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: options.applicationName,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: options.statementTimeoutMs,
  });
  // An idle client that loses its server emits here; without a listener that error would crash the process.
  pool.on("error", () => {});

  const onClient = async <T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken = false;
    try {
      return await fn(client);
    } catch (error) {
      broken = isConnectionError(error);
      throw error;
    } finally {
      client.release(broken);
    }
  };
  const wrap = (client: pg.Pool | pg.PoolClient): Queryable => ({
    async query(sql: string, params: readonly SqlParam[] = []) {
      const result = await client.query(sql, params as SqlParam[]);
      return result.rows;
    },
    async exec(sql: string) {
      // Without parameters pg uses the simple query protocol, which accepts several statements.
      await client.query(sql);
    },
  });

  return {
    kind: "postgres",
    ...wrap(pool),
    transaction: (fn) =>
      onClient(async (client) => {
        await client.query("BEGIN");
        try {
          const value = await fn(wrap(client));
          await client.query("COMMIT");
          return value;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        }
      }),
    withConnection: (fn) => onClient((client) => fn(wrap(client))),
    close: () => pool.end(),
  };
}

function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (code.startsWith("08") || code === "ECONNRESET" || code === "57P01");
}
