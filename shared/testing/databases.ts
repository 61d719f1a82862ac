import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPgliteInMemory } from "../src/platform/db/pglite.js";
import { type Database, type Migration, migrate, openDatabase } from "../src/platform/index.js";

export interface TestDatabase {
  /** DATABASE_URL for a service process; undefined means embedded PGlite. */
  readonly url: string | undefined;
  /** Opens this database in the test process (PGlite starts from a cached template: no initdb per test). */
  open(): Promise<Database>;
  drop(): Promise<void>;
}

export interface TestStore {
  readonly name: "pglite" | "postgres";
  /** Creates an empty database. */
  create(): Promise<TestDatabase>;
}

const pglite: TestStore = {
  name: "pglite",
  create: async () => ({
    url: undefined,
    // Starts from the cached empty cluster the services use too: no initdb per test.
    open: () => openPgliteInMemory(),
    drop: async () => {},
  }),
};

function postgres(adminUrl: string): TestStore {
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name: "postgres",
    async create() {
      const name = `test_${randomBytes(6).toString("hex")}`;
      await admin(`CREATE DATABASE ${name}`);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return {
        url: url.toString(),
        open: async () =>
          openDatabase({ DATABASE_URL: url.toString(), DATABASE_POOL_SIZE: 10, REQUEST_TIMEOUT_MS: 10_000 }, "test"),
        drop: () => dropDatabase(admin, name),
      };
    },
  };
}

/**
 * Drops a test database and ends whatever is still connected. FORCE may not end an autovacuum worker (a superuser
 * process) for a role that is not a superuser, as in CI, and busy suites do wake autovacuum; a plain DROP asks the
 * worker to stop and waits for it, so that is the second try, repeated while the worker finishes.
 */
async function dropDatabase(admin: (sql: string) => Promise<void>, name: string): Promise<void> {
  try {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    return;
  } catch (error) {
    if ((error as { code?: unknown }).code !== "42501") throw error;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      await admin(`DROP DATABASE IF EXISTS ${name}`);
      return;
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

const testDatabaseUrl = process.env.TEST_DATABASE_URL;
let announced = false;

/**
 * The stores every repository and integration suite runs against: embedded PGlite always, and a real
 * PostgreSQL server when TEST_DATABASE_URL names one (CI sets it).
 */
export function testStores(): TestStore[] {
  if (testDatabaseUrl === undefined || testDatabaseUrl === "") {
    if (!announced) {
      console.warn("TEST_DATABASE_URL is unset: suites run on embedded PGlite only, not on a PostgreSQL server");
      announced = true;
    }
    return [pglite];
  }
  return [pglite, postgres(testDatabaseUrl)];
}

/** The PostgreSQL server store alone, for tests that need several processes on one database. */
export function serverStore(): TestStore | undefined {
  return testDatabaseUrl ? postgres(testDatabaseUrl) : undefined;
}

/**
 * The database as a service sees it, counting the statements whose SQL contains `marker` (e.g. "INSERT INTO inbox"),
 * so a test can tell how many statements concurrent calls shared.
 */
export function countingStatements(db: Database, marker: string): { db: Database; count(): number; reset(): void } {
  let count = 0;
  const counting = new Proxy(db, {
    get(target, property, receiver) {
      if (property !== "query") return Reflect.get(target, property, receiver);
      const query: Database["query"] = (sql, params) => {
        if (sql.includes(marker)) count++;
        return target.query(sql, params);
      };
      return query;
    },
  });
  return {
    db: counting,
    count: () => count,
    reset: () => {
      count = 0;
    },
  };
}

/** A fresh database of `store` with `migrations` applied (as `owner`); `close` closes it and drops it. */
export async function openMigrated(
  store: TestStore,
  owner: string,
  migrations: readonly Migration[],
): Promise<{ db: Database; close(): Promise<void> }> {
  const database = await store.create();
  const db = await database.open();
  await migrate(db, owner, migrations);
  return {
    db,
    async close() {
      await db.close();
      await database.drop();
    },
  };
}
