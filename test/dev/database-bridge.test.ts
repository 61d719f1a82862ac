import { MessageChannel } from "node:worker_threads";
import type { Database } from "@invoicing/shared/platform";
import { testStores } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remoteDatabase, serveDatabase } from "../../scripts/dev/database-bridge.js";

const within = <T>(promise: Promise<T>, ms: number, what: string) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still waiting after ${ms} ms`)), ms)),
  ]);

describe.each(testStores())("the dev loop's database bridge on $name", (store) => {
  let db: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const database = await store.create();
    drop = database.drop;
    db = await database.open();
    await db.exec("CREATE TABLE bridged (n integer NOT NULL)");
  });
  afterAll(async () => {
    await db.close();
    await drop();
  });

  it("runs statements, commits a transaction and rolls back one that throws, with the database's errors", async () => {
    const { port1, port2 } = new MessageChannel();
    serveDatabase(db, port1);
    const remote = remoteDatabase(port2, db.kind);
    try {
      await remote.transaction(async (tx) => {
        await tx.query("INSERT INTO bridged (n) VALUES ($1)", [1]);
      });
      await expect(
        remote.transaction(async (tx) => {
          await tx.query("INSERT INTO bridged (n) VALUES ($1)", [2]);
          throw new Error("changed my mind");
        }),
      ).rejects.toThrow("changed my mind");
      await expect(remote.query("INSERT INTO bridged (n) VALUES (NULL)")).rejects.toMatchObject({ code: "23502" });
      expect(await remote.query("SELECT n FROM bridged ORDER BY n")).toEqual([{ n: 1 }]);
    } finally {
      port2.close();
    }
    await db.query("DELETE FROM bridged");
  });

  it("rolls back what a vanished worker left open, also a transaction that was still waiting to begin", async () => {
    const { port1, port2 } = new MessageChannel();
    serveDatabase(db, port1);
    const remote = remoteDatabase(port2, db.kind);
    const never = new Promise<void>(() => {});
    let opened: () => void = () => {};
    const firstOpen = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const first = remote.transaction(async (tx) => {
      await tx.query("INSERT INTO bridged (n) VALUES (10)");
      opened();
      await never;
    });
    await firstOpen;
    // On PGlite (one connection) this one queues behind the first; on PostgreSQL it may open beside it.
    const second = remote.transaction(async (tx) => {
      await tx.query("INSERT INTO bridged (n) VALUES (20)");
      await never;
    });
    void first.catch(() => {});
    void second.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    port2.close(); // the worker is terminated

    const rows = await within(db.query("SELECT count(*)::int AS n FROM bridged"), 5_000, "the main thread's query");
    expect(rows).toEqual([{ n: 0 }]);
  });
});
