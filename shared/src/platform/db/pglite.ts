import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import type { PGlite, PGliteOptions } from "@electric-sql/pglite";
import type { Database, Queryable, SqlParam } from "./database.js";

// Imported when first used, also in the release bundle (a static import there would load PGlite's 1.5 MB of
// JavaScript into every service, PostgreSQL-backed ones included).
const createPglite = async (options: PGliteOptions = {}): Promise<PGlite> =>
  (await import("@electric-sql/pglite")).PGlite.create(options);

/**
 * Embedded PostgreSQL (WASM) for development and tests: same SQL, no server.
 * `template` is a data-directory tarball (from `dumpDataDir`) to start from instead of running initdb.
 */
export async function openPglite(dataDir: string | undefined, template?: Blob): Promise<Database> {
  const db = await createPglite({
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(template === undefined ? {} : { loadDataDir: template }),
  });
  return asDatabase(db);
}

function asDatabase(db: PGlite): Database {
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

/** The cached empty cluster, read from disk once per process (tests open many databases from it). */
let cachedTemplate: Promise<Blob | undefined> | undefined;

function emptyClusterTemplate(file: string | undefined): Promise<Blob | undefined> {
  cachedTemplate ??=
    file === undefined
      ? Promise.resolve(undefined)
      : readFile(file).then(
          (bytes) => new Blob([bytes]),
          () => undefined,
        );
  return cachedTemplate;
}

/**
 * A fresh in-memory database, started from a cached empty cluster: initdb in WebAssembly takes seconds on every
 * start (and on every `npm run dev` restart), loading its result about one. The cache is the gzipped data
 * directory of a new cluster in the temp directory, one per installed PGlite build, written atomically by the
 * first process that needs it. If it cannot be read, written or loaded, the database starts the slow way.
 */
export async function openPgliteInMemory(): Promise<Database> {
  const file = await templateFile().catch(() => undefined);
  const cached = await emptyClusterTemplate(file);
  if (cached !== undefined) {
    try {
      return await openPglite(undefined, cached);
    } catch {
      // unusable template: start from scratch and write a new one
    }
  }
  const db = await createPglite();
  if (file !== undefined) {
    try {
      // Still empty: dumped before anything (migrations included) touches it.
      const template = await db.dumpDataDir("gzip");
      cachedTemplate = Promise.resolve(template);
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.${process.pid}.tmp`;
      await writeFile(partial, Buffer.from(await template.arrayBuffer()));
      await rename(partial, file);
    } catch {
      // no cache this time
    }
  }
  return asDatabase(db);
}

/** Where the template for the installed PGlite build lives: keyed by its entry file's size and modification time. */
async function templateFile(): Promise<string> {
  const entry = await stat(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  const build = `${entry.size.toString(36)}-${Math.floor(entry.mtimeMs).toString(36)}`;
  return path.join(os.tmpdir(), "invoicing-pglite", `empty-cluster-${build}.tar.gz`);
}
