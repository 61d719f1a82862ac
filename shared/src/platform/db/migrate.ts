import { createHash } from "node:crypto";
import type { Database } from "./database.js";

export interface Migration {
  id: string;
  sql: string;
}

/** A per-service advisory lock key, so replicas of different services sharing a server never wait on each other. */
function lockKey(service: string): number {
  return createHash("sha256").update(`migrations:${service}`).digest().readInt32BE(0);
}

/**
 * Applies pending migrations in order, each in its own transaction, while holding a session advisory lock:
 * replicas that start together run them once and the others wait, then see them applied.
 */
export async function migrate(db: Database, service: string, migrations: readonly Migration[]): Promise<string[]> {
  const key = lockKey(service);
  return db.withConnection(async (connection) => {
    await connection.query("SELECT pg_advisory_lock($1)", [key]);
    try {
      await connection.query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
      );
      const rows = await connection.query("SELECT id FROM schema_migrations");
      const done = new Set(rows.map((row) => (row as { id: string }).id));
      const applied: string[] = [];
      for (const migration of migrations) {
        if (done.has(migration.id)) continue;
        await connection.query("BEGIN");
        try {
          await connection.exec(migration.sql);
          await connection.query("INSERT INTO schema_migrations (id) VALUES ($1)", [migration.id]);
          await connection.query("COMMIT");
        } catch (error) {
          await connection.query("ROLLBACK");
          throw new Error(`migration ${migration.id} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(migration.id);
      }
      return applied;
    } finally {
      await connection.query("SELECT pg_advisory_unlock($1)", [key]);
    }
  });
}
