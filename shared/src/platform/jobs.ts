import * as z from "zod";
import type { Database, Migration, Queryable, SqlParam } from "./db/index.js";
import type { Logger } from "./logger.js";

/**
 * A durable job queue in the service's own database: jobs are inserted in the caller's transaction
 * (transactional outbox), claimed with FOR UPDATE SKIP LOCKED so any number of replicas share the work
 * without double dispatch, and leased: a job whose worker died is claimed again after its lease expires.
 * Delivery is at least once; handlers must be idempotent.
 */
export const jobsMigration: Migration = {
  id: "000_jobs",
  sql: `
    CREATE TABLE jobs (
      id bigserial PRIMARY KEY,
      queue text NOT NULL,
      dedupe_key text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL DEFAULT 'ready' CHECK (status IN ('ready', 'running', 'done', 'failed')),
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      run_at timestamptz NOT NULL DEFAULT now(),
      locked_until timestamptz,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (queue, dedupe_key)
    );
    CREATE INDEX jobs_due ON jobs (queue, run_at) WHERE status IN ('ready', 'running');
  `,
};

/**
 * Replaces the claim index: `(queue, run_at, id)` matches the claim's `ORDER BY run_at, id` within one queue, so a
 * claim reads only the rows it takes (plus the few leased ones) instead of sorting every due job. With the old
 * index a claim cost grew with the backlog (about 50 ms per claim with 5,000 jobs waiting).
 */
export const jobsClaimOrderMigration: Migration = {
  id: "jobs_claim_order",
  sql: `
    CREATE INDEX jobs_claim ON jobs (queue, run_at, id) WHERE status IN ('ready', 'running');
    DROP INDEX jobs_due;
  `,
};

/**
 * Finished jobs are kept for a while (a finished key still dedupes a late duplicate enqueue, and operators can see
 * what ran), then deleted by `pruneDoneJobs`: without it the table would grow by every job forever. A BRIN index on
 * created_at finds the old rows for a few kilobytes and almost no cost per insert.
 */
export const jobsRetentionMigration: Migration = {
  id: "jobs_created_at_brin",
  sql: "CREATE INDEX jobs_created_at ON jobs USING brin (created_at);",
};

/** Deletes up to `limit` finished jobs created more than `olderThanMs` ago; parked (failed) jobs stay. */
export async function pruneDoneJobs(db: Queryable, olderThanMs: number, limit: number): Promise<number> {
  const rows = await db.query(
    `DELETE FROM jobs WHERE id IN (
       SELECT id FROM jobs
        WHERE created_at < now() - make_interval(secs => $1::float8 / 1000) AND status = 'done'
        LIMIT $2)
     RETURNING id`,
    [olderThanMs, limit],
  );
  return rows.length;
}

export interface EnqueueOptions {
  /** Same queue + key enqueues nothing new (a parked, failed job with that key is revived). */
  dedupeKey: string;
  delayMs?: number;
  maxAttempts: number;
}

const ENQUEUE_CONFLICT = `ON CONFLICT (queue, dedupe_key) DO UPDATE
       SET status = 'ready', attempts = 0, run_at = EXCLUDED.run_at, last_error = NULL, updated_at = now()
       WHERE jobs.status = 'failed'`;

/** Inserts a job; call it with the transaction that makes the state change the job belongs to. */
export async function enqueue(db: Queryable, queue: string, payload: unknown, options: EnqueueOptions): Promise<void> {
  await db.query(
    `INSERT INTO jobs (queue, dedupe_key, payload, max_attempts, run_at)
     VALUES ($1, $2, $3::jsonb, $4, now() + make_interval(secs => $5::float8 / 1000))
     ${ENQUEUE_CONFLICT}`,
    [queue, options.dedupeKey, JSON.stringify(payload), options.maxAttempts, options.delayMs ?? 0],
  );
}

export interface JobSpec extends EnqueueOptions {
  queue: string;
  payload: unknown;
}

/**
 * For an outbox written in one statement: the body of a data-modifying CTE that enqueues, for each row of the CTE
 * named `source` (a row: the state change happened), the job `jobs` maps that row's `owner` column to, with
 * `enqueue`'s semantics. Rows without an entry enqueue nothing. Its one parameter is numbered `first`.
 */
export function enqueueEachWith(
  source: string,
  owner: string,
  jobs: ReadonlyMap<string, JobSpec>,
  first: number,
): { sql: string; params: SqlParam[] } {
  const rows = [...jobs].map(([key, job]) => ({
    owner: key,
    queue: job.queue,
    key: job.dedupeKey,
    payload: job.payload,
    max_attempts: job.maxAttempts,
    delay_ms: job.delayMs ?? 0,
  }));
  return {
    sql: `INSERT INTO jobs (queue, dedupe_key, payload, max_attempts, run_at)
          SELECT j.queue, j.key, j.payload, j.max_attempts, now() + make_interval(secs => j.delay_ms / 1000)
            FROM ${source}
            JOIN jsonb_to_recordset($${first}::jsonb)
                 AS j(owner text, queue text, key text, payload jsonb, max_attempts integer, delay_ms float8)
              ON j.owner = ${source}.${owner}
          ${ENQUEUE_CONFLICT}`,
    params: [JSON.stringify(rows)],
  };
}

/** `enqueue` for several jobs of one queue in one statement, with the same per-key semantics. */
export async function enqueueMany(
  db: Queryable,
  queue: string,
  jobs: readonly { payload: unknown; dedupeKey: string }[],
  options: Omit<EnqueueOptions, "dedupeKey">,
): Promise<void> {
  const unique = [...new Map(jobs.map((job) => [job.dedupeKey, job])).values()];
  if (unique.length === 0) return;
  await db.query(
    `INSERT INTO jobs (queue, dedupe_key, payload, max_attempts, run_at)
     SELECT $1, j.key, j.payload, $3, now() + make_interval(secs => $4::float8 / 1000)
       FROM jsonb_to_recordset($2::jsonb) AS j(key text, payload jsonb)
     ${ENQUEUE_CONFLICT}`,
    [
      queue,
      JSON.stringify(unique.map((job) => ({ key: job.dedupeKey, payload: job.payload }))),
      options.maxAttempts,
      options.delayMs ?? 0,
    ],
  );
}

const ClaimedRow = z.object({
  id: z.coerce.number().int(),
  dedupe_key: z.string(),
  payload: z.unknown(),
  attempts: z.coerce.number().int(),
  max_attempts: z.coerce.number().int(),
});

export interface Job<P> {
  id: number;
  dedupeKey: string;
  payload: P;
  /** 1 on the first run. */
  attempt: number;
  maxAttempts: number;
}

/** Thrown by a handler for a failure that retrying cannot fix: the job is parked at once. */
export class PermanentJobError extends Error {}

/**
 * Thrown by `handleBatch` when the batch went unanswered for a reason that waiting can fix (the peer is down,
 * overloaded or timed out): every job of it is retried with backoff, as if each had failed on its own, instead of
 * running one by one at once against a peer that is already in trouble.
 */
export class RetryBatchLaterError extends Error {}

export interface QueueHandler<P> {
  queue: string;
  payload: z.ZodType<P>;
  handle(job: Job<P>): Promise<void>;
  /**
   * Optional: handles several jobs of this queue claimed together (e.g. in one transaction). When it resolves, every
   * job is done; when it throws, each job runs through `handle` on its own, so retries and parking stay per job
   * (RetryBatchLaterError instead: each job is retried later, with backoff).
   */
  handleBatch?(jobs: readonly Job<P>[]): Promise<void>;
  /** Called once when the job is parked (attempts exhausted or permanent error), in the parking transaction. */
  onParked?(job: Job<P>, reason: string, tx: Queryable): Promise<void>;
}

/**
 * For `handleBatch`: hands the claimed jobs to `handle` in chunks of at most `size` (e.g. a peer's batch limit), all
 * at once, and waits for every chunk before it throws, so nothing still runs when the queue retries or reruns the
 * jobs. A RetryBatchLaterError from any chunk wins: then every job waits for its retry.
 */
export async function handleInChunks<P>(
  jobs: readonly Job<P>[],
  size: number,
  handle: (chunk: readonly Job<P>[]) => Promise<void>,
): Promise<void> {
  const chunks: Job<P>[][] = [];
  for (let i = 0; i < jobs.length; i += size) chunks.push(jobs.slice(i, i + size));
  const settled = await Promise.allSettled(chunks.map(handle));
  const failures = settled.flatMap((result) => (result.status === "rejected" ? [result.reason as unknown] : []));
  if (failures.length === 0) return;
  throw failures.find((failure) => failure instanceof RetryBatchLaterError) ?? failures[0];
}

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
  /** Delay before retry n (1-based): exponential with full jitter, capped. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Finished jobs older than this are deleted, at start and every 10 minutes; 0 or unset keeps them. */
  retainDoneMs?: number;
}

const PRUNE_INTERVAL_MS = 10 * 60_000;
const PRUNE_BATCH = 1_000;

export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface Worker {
  /**
   * Looks for due jobs now instead of at the next poll (e.g. right after enqueueing), or after `delayMs` for jobs
   * enqueued with that delay. Wakes coalesce: many calls make one claim.
   */
  wake(delayMs?: number): void;
  /** Stops claiming, waits for running handlers to finish and records them as done. */
  stop(): Promise<void>;
}

/**
 * One claim takes up to `limit` due jobs across the queues, oldest first, each queue read in the order of the
 * `jobs_claim` index. Rows another worker holds are skipped (SKIP LOCKED), so replicas never take the same job.
 */
const CLAIM_SQL = `
  UPDATE jobs SET status = 'running', attempts = attempts + 1,
         locked_until = now() + make_interval(secs => $3::float8 / 1000), updated_at = now()
   WHERE id IN (
     SELECT due.id FROM unnest($1::text[]) AS q(name)
      CROSS JOIN LATERAL (
        SELECT id, run_at FROM jobs
         WHERE queue = q.name AND run_at <= now()
           AND (status = 'ready' OR (status = 'running' AND locked_until < now()))
         ORDER BY run_at, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED) due
      ORDER BY due.run_at, due.id
      LIMIT $2)
  RETURNING id, queue, dedupe_key, payload, attempts, max_attempts`;

/** Marks finished runs done; the attempts guard leaves a job alone that was claimed again after its lease ran out. */
const DONE_SQL = `
  UPDATE jobs SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = now()
    FROM jsonb_to_recordset($1::jsonb) AS d(id bigint, attempts integer)
   WHERE jobs.id = d.id AND jobs.attempts = d.attempts`;

/** After a job finishes with no backlog in sight, look again this soon (finishing jobs often enqueue new ones). */
const FOLLOW_UP_POLL_MS = 5;

/**
 * Runs handlers for the given queues until stopped. Claims are batched: while due jobs keep filling every free
 * slot, the next claim waits until a quarter of the slots are free again, and finished jobs are recorded as done
 * together, in one statement per round trip. A job whose completion was not recorded (crash, database outage)
 * runs again once its lease expires: delivery stays at least once, and handlers are idempotent.
 */
export function startWorker(
  db: Database,
  handlers: readonly QueueHandler<unknown>[],
  options: WorkerOptions,
  logger: Logger,
): Worker {
  let stopped = false;
  let running = 0;
  let polling = false;
  let pollRequested = false;
  /** The last claim filled every free slot, so more jobs are probably due. */
  let backlog = false;
  let timer: NodeJS.Timeout | undefined;
  let timerDue = Number.POSITIVE_INFINITY;
  const idle: (() => void)[] = [];
  const byQueue = new Map(handlers.map((handler) => [handler.queue, handler]));
  const queues = `{${[...byQueue.keys()].join(",")}}`;
  const claimBatch = Math.max(1, Math.floor(options.concurrency / 4));
  const completions = createCompletionRecorder(db, options.leaseMs, logger);

  const settleIdle = () => {
    if (running === 0) for (const resolve of idle.splice(0)) resolve();
  };

  /** Polls after `ms`, unless a poll is already due sooner. */
  const pollIn = (ms: number) => {
    if (stopped) return;
    const due = Date.now() + ms;
    if (timer !== undefined && timerDue <= due) return;
    clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = undefined;
      timerDue = Number.POSITIVE_INFINITY;
      void poll();
    }, ms);
  };

  async function poll(): Promise<void> {
    if (stopped) return;
    if (polling) {
      pollRequested = true;
      return;
    }
    const free = options.concurrency - running;
    if (free <= 0) return; // a finishing job polls again
    polling = true;
    pollRequested = false;
    let failed = false;
    try {
      const rows = await db.query(CLAIM_SQL, [queues, free, options.leaseMs]);
      backlog = rows.length === free;
      dispatch(rows);
    } catch (error) {
      failed = true;
      backlog = false;
      logger.warn({ err: error }, "job claim failed; retrying");
    } finally {
      polling = false;
    }
    if (pollRequested && !failed) pollIn(0);
    else if (!backlog) pollIn(options.idlePollMs);
  }

  function finished(count: number): void {
    running -= count;
    settleIdle();
    if (stopped) return;
    if (!backlog) pollIn(FOLLOW_UP_POLL_MS);
    else if (options.concurrency - running >= claimBatch || running === 0) pollIn(0);
  }

  function dispatch(rows: readonly unknown[]): void {
    const batches = new Map<QueueHandler<unknown>, Job<unknown>[]>();
    for (const row of rows) {
      const queue = (row as { queue?: unknown }).queue;
      const handler = typeof queue === "string" ? byQueue.get(queue) : undefined;
      const claimed = ClaimedRow.parse(row);
      running++;
      const base = {
        id: claimed.id,
        dedupeKey: claimed.dedupe_key,
        attempt: claimed.attempts,
        maxAttempts: claimed.max_attempts,
      };
      const payload = handler?.payload.safeParse(claimed.payload);
      if (handler === undefined || payload === undefined || !payload.success) {
        const reason =
          handler === undefined
            ? `no handler for queue ${String(queue)}`
            : `invalid payload: ${payload?.error?.message}`;
        void park(claimed.id, new PermanentJobError(reason)).finally(() => finished(1));
        continue;
      }
      const job: Job<unknown> = { ...base, payload: payload.data };
      if (handler.handleBatch === undefined) {
        runOne(handler, job);
        continue;
      }
      const batch = batches.get(handler);
      if (batch === undefined) batches.set(handler, [job]);
      else batch.push(job);
    }
    for (const [handler, jobs] of batches) {
      if (jobs.length === 1 && jobs[0] !== undefined) runOne(handler, jobs[0]);
      else runBatch(handler, jobs);
    }
  }

  function runOne(handler: QueueHandler<unknown>, job: Job<unknown>): void {
    void (async () => {
      try {
        try {
          await handler.handle(job);
          completions.add(job);
        } catch (error) {
          await fail(handler, job, error);
        }
      } catch (error) {
        await park(job.id, error);
      } finally {
        finished(1);
      }
    })();
  }

  function runBatch(handler: QueueHandler<unknown>, jobs: Job<unknown>[]): void {
    void (async () => {
      try {
        await handler.handleBatch?.(jobs);
      } catch (error) {
        if (error instanceof RetryBatchLaterError) {
          logger.warn({ queue: handler.queue, jobs: jobs.length, reason: error.message }, "job batch will retry");
          await Promise.all(jobs.map((job) => fail(handler, job, error).catch((failure) => park(job.id, failure))));
          finished(jobs.length);
          return;
        }
        // Warn: a batch refused for good (e.g. a peer without the batch endpoint) doubles the work of every batch.
        logger.warn(
          { queue: handler.queue, jobs: jobs.length, err: error },
          "job batch failed; running its jobs one by one",
        );
        for (const job of jobs) runOne(handler, job);
        return;
      }
      for (const job of jobs) completions.add(job);
      finished(jobs.length);
    })();
  }

  /** A job that cannot be processed at all (no handler, bad payload, its failure not recordable) is parked. */
  async function park(id: number, error: unknown): Promise<void> {
    logger.error({ err: error, jobId: id }, "job could not be processed");
    await db
      .query("UPDATE jobs SET status = 'failed', last_error = $2, updated_at = now() WHERE id = $1", [
        id,
        (error as Error).message,
      ])
      .catch(() => {});
  }

  async function fail(handler: QueueHandler<unknown>, job: Job<unknown>, error: unknown): Promise<void> {
    const reason = error instanceof Error ? error.message : String(error);
    const permanent = error instanceof PermanentJobError;
    if (!permanent && job.attempt < job.maxAttempts) {
      const delay = retryDelayMs(job.attempt, options.retryBaseMs, options.retryMaxMs);
      logger.debug({ queue: handler.queue, jobId: job.id, attempt: job.attempt, delay, reason }, "job will retry");
      await db.query(
        `UPDATE jobs SET status = 'ready', last_error = $3, locked_until = NULL, updated_at = now(),
                run_at = now() + make_interval(secs => $4::float8 / 1000)
          WHERE id = $1 AND attempts = $2`,
        [job.id, job.attempt, reason, delay],
      );
      return;
    }
    logger.warn({ queue: handler.queue, jobId: job.id, attempt: job.attempt, reason }, "job parked as failed");
    await db.transaction(async (tx) => {
      const parked = await tx.query(
        "UPDATE jobs SET status = 'failed', last_error = $3, locked_until = NULL, updated_at = now() WHERE id = $1 AND attempts = $2 RETURNING id",
        [job.id, job.attempt, reason],
      );
      if (parked.length === 1) await handler.onParked?.(job, reason, tx);
    });
  }

  let pruning: Promise<void> | undefined;
  const retainDoneMs = options.retainDoneMs ?? 0;
  const prune = () => {
    pruning ??= (async () => {
      try {
        let deleted = 0;
        let round: number;
        do {
          round = await pruneDoneJobs(db, retainDoneMs, PRUNE_BATCH);
          deleted += round;
        } while (round === PRUNE_BATCH && !stopped);
        if (deleted > 0) logger.debug({ deleted }, "finished jobs pruned");
      } catch (error) {
        logger.warn({ err: error }, "pruning finished jobs failed; trying again later");
      } finally {
        pruning = undefined;
      }
    })();
  };
  const pruneTimer = retainDoneMs > 0 ? setInterval(prune, PRUNE_INTERVAL_MS).unref() : undefined;
  if (retainDoneMs > 0) prune();

  pollIn(0);
  return {
    wake(delayMs = 0) {
      pollIn(delayMs);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      clearInterval(pruneTimer);
      await pruning;
      while (polling) await new Promise((resolve) => setTimeout(resolve, 10));
      if (running > 0) await new Promise<void>((resolve) => idle.push(resolve));
      await completions.drain();
    },
  };
}

/**
 * Records finished jobs as done, batched: the first completion is written at once, the ones that finish meanwhile
 * go together in the next statement. A failed write is retried until the lease would have expired anyway.
 */
function createCompletionRecorder(db: Queryable, leaseMs: number, logger: Logger) {
  let pending: { id: number; attempts: number; at: number }[] = [];
  let writing: Promise<void> | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let draining = false;

  async function write(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await db.query(DONE_SQL, [JSON.stringify(batch.map(({ id, attempts }) => ({ id, attempts })))]);
      } catch (error) {
        const now = Date.now();
        pending = [...batch.filter((entry) => now - entry.at < leaseMs), ...pending];
        logger.warn({ err: error, jobs: batch.length }, "recording finished jobs failed; retrying");
        // After shutdown began there is no retry: those jobs run again once their lease expires.
        if (!draining && pending.length > 0 && retryTimer === undefined) {
          retryTimer = setTimeout(() => {
            retryTimer = undefined;
            start();
          }, 500);
          retryTimer.unref();
        }
        return;
      }
    }
  }

  function start(): void {
    writing ??= write().finally(() => {
      writing = undefined;
    });
  }

  return {
    add(job: Job<unknown>): void {
      pending.push({ id: job.id, attempts: job.attempt, at: Date.now() });
      // Gather every completion of this turn of the event loop into one write (a write in flight takes them next).
      if (pending.length === 1) setImmediate(start);
    },
    /** Writes what is pending once more and waits for it (shutdown). */
    async drain(): Promise<void> {
      draining = true;
      clearTimeout(retryTimer);
      retryTimer = undefined;
      await writing;
      if (pending.length > 0) {
        start();
        await writing;
      }
    },
  };
}
