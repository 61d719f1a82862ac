import { describe, expect, it } from "vitest";
import { coalesce } from "../src/platform/coalesce.js";

describe("coalesce", () => {
  it("runs the calls made in one turn of the event loop as one batch, answering each call with its own result", async () => {
    const runs: number[][] = [];
    const double = coalesce(
      async (inputs: readonly number[]) => {
        runs.push([...inputs]);
        return inputs.map((n) => n * 2);
      },
      { maxBatchSize: 100 },
    );
    const answers = await Promise.all([1, 2, 3, 4].map(double));
    expect(answers).toEqual([2, 4, 6, 8]);
    expect(runs).toEqual([[1, 2, 3, 4]]);
  });

  it("gathers calls made in separate callbacks of the same turn of the event loop", async () => {
    const runs: number[][] = [];
    const echo = coalesce(
      async (inputs: readonly number[]) => {
        runs.push([...inputs]);
        return inputs;
      },
      { maxBatchSize: 100 },
    );
    // Two callbacks of one loop phase, as two sockets' reads are; a batch per callback would give [[1], [2]].
    const calls = await new Promise<Promise<number>[]>((resolve) => {
      const made: Promise<number>[] = [];
      setImmediate(() => made.push(echo(1)));
      setImmediate(() => {
        made.push(echo(2));
        resolve(made);
      });
    });
    expect(await Promise.all(calls)).toEqual([1, 2]);
    expect(runs).toEqual([[1, 2]]);
  });

  it("splits at the batch limit", async () => {
    const sizes: number[] = [];
    const echo = coalesce(
      async (inputs: readonly number[]) => {
        sizes.push(inputs.length);
        return inputs;
      },
      { maxBatchSize: 3 },
    );
    await Promise.all([1, 2, 3, 4, 5, 6, 7].map(echo));
    expect(sizes).toEqual([3, 3, 1]);
  });

  it("fails only the call whose input was answered with an error", async () => {
    const check = coalesce(
      async (inputs: readonly number[]) => inputs.map((n) => (n < 0 ? new Error(`negative: ${n}`) : n)),
      { maxBatchSize: 100 },
    );
    const settled = await Promise.allSettled([1, -2, 3].map(check));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error("negative: -2"));
  });

  it("runs each input alone when a batch throws, so one bad input fails only its own call", async () => {
    const runs: number[][] = [];
    const store = coalesce(
      async (inputs: readonly number[]) => {
        runs.push([...inputs]);
        if (inputs.includes(13)) throw new Error("the database refused 13");
        return inputs;
      },
      { maxBatchSize: 100 },
    );
    const settled = await Promise.allSettled([12, 13, 14].map(store));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((settled[1] as PromiseRejectedResult).reason).toEqual(new Error("the database refused 13"));
    expect(runs).toEqual([[12, 13, 14], [12], [13], [14]]);
  });

  it("fails a lone call with the batch's own error", async () => {
    const broken = coalesce(
      async (): Promise<number[]> => {
        throw new Error("store down");
      },
      { maxBatchSize: 100 },
    );
    await expect(broken(1)).rejects.toThrow("store down");
  });

  it("does not split a batch whose failure is not about its inputs", async () => {
    const runs: number[][] = [];
    const unreachable = coalesce(
      async (inputs: readonly number[]): Promise<number[]> => {
        runs.push([...inputs]);
        throw new Error("connection refused");
      },
      { maxBatchSize: 100, splitOn: (error) => !String(error).includes("connection refused") },
    );
    const settled = await Promise.allSettled([1, 2, 3].map(unreachable));
    expect(settled.map((s) => s.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(runs).toEqual([[1, 2, 3]]);
  });
});
