import { createLogger, type Queryable } from "@invoicing/shared/platform";
import { describe, expect, it } from "vitest";
import { InvoiceVersionWatch } from "../src/store/invoice-version-watch.js";

/** A counter table stand-in that counts how often it is read. */
function counter() {
  const state = { version: 7, reads: 0 };
  const db: Queryable = {
    query: async () => {
      state.reads++;
      return [{ version: String(state.version) }];
    },
    exec: async () => {},
  };
  return { state, db };
}

const logger = createLogger("test", "silent");
const settled = (promise: Promise<void>) =>
  Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 120))]);

describe("InvoiceVersionWatch", () => {
  it("polls once per interval for any number of waiters, and only while someone waits", async () => {
    const { state, db } = counter();
    const watch = new InvoiceVersionWatch(db, logger, 20);
    await watch.changedFrom(undefined); // first poll learns the counter
    const controller = new AbortController();
    const waiting = Array.from({ length: 50 }, () => watch.changedFrom(watch.known(), controller.signal));
    const readsBefore = state.reads;
    await new Promise((resolve) => setTimeout(resolve, 210));
    const reads = state.reads - readsBefore;
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(12); // one per 20 ms, not 50 per 20 ms
    controller.abort();
    await Promise.all(waiting);
    const idle = state.reads;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(state.reads).toBe(idle);
    watch.stop();
  });

  it("wakes a waiter when the counter moves, not before", async () => {
    const { state, db } = counter();
    const watch = new InvoiceVersionWatch(db, logger, 10);
    await watch.changedFrom(undefined);
    const waiting = watch.changedFrom(watch.known());
    expect(await settled(waiting)).toBe(false);
    state.version++;
    expect(await settled(waiting)).toBe(true);
    watch.stop();
  });

  it("wakes a waiter whose value is already stale at once", async () => {
    const { state, db } = counter();
    const watch = new InvoiceVersionWatch(db, logger, 10);
    await watch.changedFrom(undefined);
    const seen = watch.known();
    state.version++;
    expect(await settled(watch.changedFrom(seen))).toBe(true);
    watch.stop();
  });
});
