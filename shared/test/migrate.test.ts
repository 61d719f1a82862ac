import { describe, expect, it } from "vitest";
import { type Database, migrate, openDatabase } from "../src/platform/db/index.js";
import { serverStore, testStores } from "../testing/index.js";

const migrations = [
  { id: "001_counter", sql: "CREATE TABLE counter (n int NOT NULL); INSERT INTO counter VALUES (0);" },
  { id: "002_bump", sql: "UPDATE counter SET n = n + 1;" },
];

const open = (url: string | undefined): Promise<Database> =>
  Promise.resolve(openDatabase({ DATABASE_URL: url, DATABASE_POOL_SIZE: 4, REQUEST_TIMEOUT_MS: 5_000 }, "test"));

describe.each(testStores())("migrations on $name", (store) => {
  it("apply once, in order, and are recorded", async () => {
    const database = await store.create();
    const db = await database.open();
    try {
      expect(await migrate(db, "test", migrations)).toEqual(["001_counter", "002_bump"]);
      expect(await migrate(db, "test", migrations)).toEqual([]);
      expect(await db.query("SELECT n FROM counter")).toEqual([{ n: 1 }]);
    } finally {
      await db.close();
      await database.drop();
    }
  });

  it("roll back a failing migration and name it", async () => {
    const database = await store.create();
    const db = await database.open();
    try {
      await expect(
        migrate(db, "test", [{ id: "001_bad", sql: "CREATE TABLE t (x int); SELECT no_such_column FROM t;" }]),
      ).rejects.toThrow(/migration 001_bad failed/);
      expect(await db.query("SELECT to_regclass('t') AS t")).toEqual([{ t: null }]);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});

const server = serverStore();
describe.runIf(server)("migrations with replicas starting together (PostgreSQL server)", () => {
  it("run exactly once under the advisory lock", async () => {
    if (server === undefined) return;
    const database = await server.create();
    const replicas = await Promise.all(Array.from({ length: 5 }, () => open(database.url)));
    try {
      const applied = await Promise.all(replicas.map((db) => migrate(db, "test", migrations)));
      expect(applied.flat().sort()).toEqual(["001_counter", "002_bump"]);
      expect(await replicas[0]?.query("SELECT n FROM counter")).toEqual([{ n: 1 }]);
    } finally {
      await Promise.all(replicas.map((db) => db.close()));
      await database.drop();
    }
  });
});
if (server === undefined) console.warn("skipping concurrent-migration test: TEST_DATABASE_URL is unset");
