import { z } from "zod";
import type { Database, Migration, Queryable } from "./db/index.js";
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

export interface EnqueueOptions {
  /** Same queue + key enqueues nothing new (a parked, failed job with that key is revived). */
  dedupeKey: string;
  delayMs?: number;
  maxAttempts: number;
}

/** Inserts a job; call it with the transaction that makes the state change the job belongs to. */
export async function enqueue(db: Queryable, queue: string, payload: unknown, options: EnqueueOptions): Promise<void> {
  await db.query(
    `INSERT INTO jobs (queue, dedupe_key, payload, max_attempts, run_at)
     VALUES ($1, $2, $3::jsonb, $4, now() + make_interval(secs => $5::float8 / 1000))
     ON CONFLICT (queue, dedupe_key) DO UPDATE
       SET status = 'ready', attempts = 0, run_at = EXCLUDED.run_at, last_error = NULL, updated_at = now()
       WHERE jobs.status = 'failed'`,
    [queue, options.dedupeKey, JSON.stringify(payload), options.maxAttempts, options.delayMs ?? 0],
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

export interface QueueHandler<P> {
  queue: string;
  payload: z.ZodType<P>;
  handle(job: Job<P>): Promise<void>;
  /** Called once when the job is parked (attempts exhausted or permanent error), in the parking transaction. */
  onParked?(job: Job<P>, reason: string, tx: Queryable): Promise<void>;
}

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  idlePollMs: number;
  /** Delay before retry n (1-based): exponential with full jitter, capped. */
  retryBaseMs: number;
  retryMaxMs: number;
}

export function retryDelayMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export interface Worker {
  /** Looks for due jobs now instead of at the next poll (e.g. right after enqueueing). */
  wake(): void;
  /** Stops claiming and waits for running handlers to finish. */
  stop(): Promise<void>;
}

/** Runs handlers for the given queues until stopped. */
export function startWorker(
  db: Database,
  handlers: readonly QueueHandler<unknown>[],
  options: WorkerOptions,
  logger: Logger,
): Worker {
  let stopped = false;
  let running = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling = false;
  let wakeRequested = false;
  const idle: (() => void)[] = [];
  const byQueue = new Map(handlers.map((handler) => [handler.queue, handler]));
  const queues = [...byQueue.keys()];

  const settleIdle = () => {
    if (running === 0) for (const resolve of idle.splice(0)) resolve();
  };

  const schedule = (ms: number) => {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, ms);
  };

  async function poll(): Promise<void> {
    if (stopped) return;
    if (polling) {
      wakeRequested = true;
      return;
    }
    polling = true;
    let claimedFull = false;
    try {
      const free = options.concurrency - running;
      if (free > 0) {
        const rows = await db.query(
          `UPDATE jobs SET status = 'running', attempts = attempts + 1,
                  locked_until = now() + make_interval(secs => $3::float8 / 1000), updated_at = now()
            WHERE id IN (
              SELECT id FROM jobs
               WHERE queue = ANY($1::text[]) AND run_at <= now()
                 AND (status = 'ready' OR (status = 'running' AND locked_until < now()))
               ORDER BY run_at, id
               LIMIT $2
               FOR UPDATE SKIP LOCKED)
            RETURNING id, queue, dedupe_key, payload, attempts, max_attempts`,
          [`{${queues.join(",")}}`, free, options.leaseMs],
        );
        claimedFull = rows.length === free;
        for (const row of rows) run(row);
      }
    } catch (error) {
      logger.warn({ err: error }, "job claim failed; retrying");
    } finally {
      polling = false;
    }
    const again = wakeRequested || claimedFull;
    wakeRequested = false;
    schedule(again && running < options.concurrency ? 0 : options.idlePollMs);
  }

  function run(row: unknown): void {
    const queue = (row as { queue?: unknown }).queue;
    const handler = typeof queue === "string" ? byQueue.get(queue) : undefined;
    const claimed = ClaimedRow.parse(row);
    running++;
    void (async () => {
      const base = {
        id: claimed.id,
        dedupeKey: claimed.dedupe_key,
        attempt: claimed.attempts,
        maxAttempts: claimed.max_attempts,
      };
      try {
        if (handler === undefined) throw new PermanentJobError(`no handler for queue ${String(queue)}`);
        const payload = handler.payload.safeParse(claimed.payload);
        if (!payload.success) throw new PermanentJobError(`invalid payload: ${payload.error.message}`);
        const job: Job<unknown> = { ...base, payload: payload.data };
        try {
          await handler.handle(job);
          await db.query(
            "UPDATE jobs SET status = 'done', locked_until = NULL, last_error = NULL, updated_at = now() WHERE id = $1 AND attempts = $2",
            [job.id, job.attempt],
          );
        } catch (error) {
          await fail(handler, job, error);
        }
      } catch (error) {
        logger.error({ err: error, jobId: claimed.id }, "job could not be processed");
        await db
          .query("UPDATE jobs SET status = 'failed', last_error = $2, updated_at = now() WHERE id = $1", [
            claimed.id,
            (error as Error).message,
          ])
          .catch(() => {});
      } finally {
        running--;
        settleIdle();
        if (!stopped) schedule(0);
      }
    })();
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

  schedule(0);
  return {
    wake() {
      if (!stopped) schedule(0);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      while (polling) await new Promise((resolve) => setTimeout(resolve, 10));
      if (running > 0) await new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
