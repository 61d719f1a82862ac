import { PGlite } from "@electric-sql/pglite";
import type { Database, Queryable, SqlParam } from "./database.js";

/** Embedded PostgreSQL (WASM) for development and tests: same SQL, no server. */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const db = await PGlite.create(dataDir === undefined ? undefined : { dataDir });
  const wrap = (target: Pick<PGlite, "query" | "exec">): Queryable => ({
    query: async (sql, params = []) => (await target.query(sql, params as SqlParam[])).rows,
    exec: async (sql) => {
      await target.exec(sql);
    },
  });
  const connection = wrap(db);
  return {
    kind: "pglite",
    ...connection,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    // PGlite has exactly one connection, so the database itself is the dedicated connection.
    withConnection: (fn) => fn(connection),
    close: () => db.close(),
  };
}
