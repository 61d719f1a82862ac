import { PGlite } from "@electric-sql/pglite";
import type { Database, Queryable, SqlParam } from "./database.js";

/**
 * Embedded PostgreSQL (WASM) for development and tests: same SQL, no server.
 * `template` is a data-directory tarball (from `dumpDataDir`) to start from instead of running initdb.
 */
export async function openPglite(dataDir: string | undefined, template?: Blob): Promise<Database> {
  const db = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(template === undefined ? {} : { loadDataDir: template }),
  });
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

/** A fresh, empty cluster's data directory as a tarball, for `openPglite(undefined, template)`. */
export async function createPgliteTemplate(): Promise<Blob> {
  const db = await PGlite.create();
  try {
    return await db.dumpDataDir("none");
  } finally {
    await db.close();
  }
}
