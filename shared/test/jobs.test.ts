import { describe, expect, it } from "vitest";
import * as z from "zod";
import {
  createLogger,
  enqueue,
  enqueueEachWith,
  enqueueMany,
  type Job,
  jobsClaimOrderMigration,
  jobsMigration,
  jobsRetentionMigration,
  migrate,
  pruneDoneJobs,
  type QueueHandler,
  RetryBatchLaterError,
  startWorker,
} from "../src/platform/index.js";
import { openMigrated, testStores, waitFor } from "../testing/index.js";

const logger = createLogger("jobs-test", "silent");
const Payload = z.object({ n: z.number() });
const options = { concurrency: 8, leaseMs: 30_000, idlePollMs: 20, retryBaseMs: 10, retryMaxMs: 50 };

describe.each(testStores())("the job worker on $name", (store) => {
  const open = () => openMigrated(store, "jobs-test", [jobsMigration, jobsClaimOrderMigration]);
  const statuses = async (db: Awaited<ReturnType<typeof open>>["db"]) =>
    (await db.query("SELECT queue, status, count(*)::int AS n FROM jobs GROUP BY 1, 2 ORDER BY 1, 2")) as {
      queue: string;
      status: string;
      n: number;
    }[];

  it("runs every job of every queue and records each as done", async () => {
    const { db, close } = await open();
    try {
      for (let n = 0; n < 40; n++)
        await enqueue(db, n % 2 === 0 ? "a" : "b", { n }, { dedupeKey: `k${n}`, maxAttempts: 3 });
      const seen: number[] = [];
      const handler = (queue: string): QueueHandler<unknown> => ({
        queue,
        payload: Payload as z.ZodType<unknown>,
        async handle(job: Job<unknown>) {
          seen.push((job.payload as { n: number }).n);
        },
      });
      const worker = startWorker(db, [handler("a"), handler("b")], options, logger);
      await waitFor(async () => (seen.length >= 40 ? true : undefined), { timeoutMs: 20_000, what: "all jobs" });
      await worker.stop();
      expect([...new Set(seen)].sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, n) => n));
      expect(await statuses(db)).toEqual([
        { queue: "a", status: "done", n: 20 },
        { queue: "b", status: "done", n: 20 },
      ]);
    } finally {
      await close();
    }
  });

  it("hands jobs claimed together to handleBatch, and one by one to handle when the batch fails", async () => {
    const { db, close } = await open();
    try {
      await enqueueMany(
        db,
        "batch",
        Array.from({ length: 30 }, (_, n) => ({ payload: { n }, dedupeKey: `b${n}` })),
        { maxAttempts: 3 },
      );
      const batches: number[] = [];
      const single: number[] = [];
      let failNextBatch = true;
      const worker = startWorker(
        db,
        [
          {
            queue: "batch",
            payload: Payload as z.ZodType<unknown>,
            async handle(job) {
              single.push((job.payload as { n: number }).n);
            },
            async handleBatch(jobs) {
              if (failNextBatch) {
                failNextBatch = false;
                throw new Error("batch failed");
              }
              batches.push(jobs.length);
            },
          },
        ],
        options,
        logger,
      );
      await waitFor(async () => (single.length + batches.reduce((sum, n) => sum + n, 0) >= 30 ? true : undefined), {
        timeoutMs: 20_000,
        what: "all jobs",
      });
      await worker.stop();
      expect(single.length).toBeGreaterThan(0); // the failed batch, job by job
      expect(single.length + batches.reduce((sum, n) => sum + n, 0)).toBe(30);
      expect(await statuses(db)).toEqual([{ queue: "batch", status: "done", n: 30 }]);
    } finally {
      await close();
    }
  });

  it("retries every job of a batch later, without running them one by one, when the batch asks for it", async () => {
    const { db, close } = await open();
    try {
      await enqueueMany(
        db,
        "later",
        Array.from({ length: 6 }, (_, n) => ({ payload: { n }, dedupeKey: `l${n}` })),
        { maxAttempts: 5 },
      );
      const single: number[] = [];
      const handled: number[] = [];
      const failedInBatch = new Map<number, number>();
      const rerunAtOnce: number[] = [];
      let unavailable = 2;
      const worker = startWorker(
        db,
        [
          {
            queue: "later",
            payload: Payload as z.ZodType<unknown>,
            async handle(job) {
              // A job due alone runs here (the worker passes handleBatch two or more), but never as a rerun of the
              // attempt its batch asked to retry later.
              const n = (job.payload as { n: number }).n;
              if (failedInBatch.get(n) === job.attempt) rerunAtOnce.push(n);
              single.push(n);
            },
            async handleBatch(jobs) {
              if (unavailable > 0) {
                unavailable--;
                for (const job of jobs) failedInBatch.set((job.payload as { n: number }).n, job.attempt);
                throw new RetryBatchLaterError("peer unavailable");
              }
              handled.push(...jobs.map((job) => (job.payload as { n: number }).n));
            },
          },
        ],
        options,
        logger,
      );
      await waitFor(async () => (handled.length + single.length >= 6 ? true : undefined), {
        timeoutMs: 20_000,
        what: "the jobs after the peer came back",
      });
      await worker.stop();
      expect(rerunAtOnce).toEqual([]);
      expect([...handled, ...single].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      // The first claim took all six together, so each waited out at least one retry before it ran.
      const attempts = (await db.query("SELECT min(attempts)::int AS n FROM jobs WHERE queue = 'later'")) as {
        n: number;
      }[];
      expect(attempts[0]?.n).toBeGreaterThanOrEqual(2);
      expect(await statuses(db)).toEqual([{ queue: "later", status: "done", n: 6 }]);
    } finally {
      await close();
    }
  });

  it("deletes finished jobs past their retention, at start and in rounds, and keeps parked and live ones", async () => {
    const { db, close } = await open();
    try {
      await migrate(db, "jobs-test", [jobsMigration, jobsClaimOrderMigration, jobsRetentionMigration]);
      await enqueueMany(
        db,
        "old",
        Array.from({ length: 2_500 }, (_, n) => ({ payload: { n }, dedupeKey: `o${n}` })),
        { maxAttempts: 3 },
      );
      await db.exec(`
        UPDATE jobs SET status = 'done', created_at = now() - interval '8 days';
        INSERT INTO jobs (queue, dedupe_key, payload, max_attempts, status, created_at) VALUES
          ('old', 'parked', '{"n": 1}', 3, 'failed', now() - interval '8 days'),
          ('old', 'recent', '{"n": 2}', 3, 'done', now() - interval '1 day');`);
      const retainDoneMs = 7 * 24 * 60 * 60 * 1000;
      const worker = startWorker(db, [], { ...options, retainDoneMs }, logger);
      await waitFor(
        async () => {
          const [row] = (await db.query("SELECT count(*)::int AS n FROM jobs")) as { n: number }[];
          return row?.n === 2 ? true : undefined;
        },
        { timeoutMs: 20_000, what: "the old finished jobs to be pruned" },
      );
      await worker.stop();
      expect(await db.query("SELECT dedupe_key, status FROM jobs ORDER BY dedupe_key")).toEqual([
        { dedupe_key: "parked", status: "failed" },
        { dedupe_key: "recent", status: "done" },
      ]);
      expect(await pruneDoneJobs(db, retainDoneMs, 1_000)).toBe(0);
    } finally {
      await close();
    }
  });

  it("enqueues in the same statement as a state change, one job per changed row, and only when it happened", async () => {
    const { db, close } = await open();
    try {
      await db.exec("CREATE TABLE things (id text PRIMARY KEY)");
      const insert = (...ids: string[]) => {
        const jobs = new Map(
          ids.map((id) => [id, { queue: "q", payload: { id }, dedupeKey: `job-${id}`, maxAttempts: 1 }]),
        );
        const job = enqueueEachWith("inserted", "id", jobs, 2);
        return db.query(
          `WITH inserted AS (
             INSERT INTO things (id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING RETURNING id),
                queued AS (${job.sql})
           SELECT id FROM inserted ORDER BY id`,
          [`{${ids.join(",")}}`, ...job.params],
        );
      };
      expect(await insert("t1")).toHaveLength(1);
      expect(await insert("t1", "t2", "t3")).toEqual([{ id: "t2" }, { id: "t3" }]);
      expect(await db.query("SELECT dedupe_key, payload FROM jobs ORDER BY dedupe_key")).toEqual([
        { dedupe_key: "job-t1", payload: { id: "t1" } },
        { dedupe_key: "job-t2", payload: { id: "t2" } },
        { dedupe_key: "job-t3", payload: { id: "t3" } },
      ]);
    } finally {
      await close();
    }
  });
});
