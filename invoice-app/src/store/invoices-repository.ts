import type { Invoice } from "@invoicing/shared/contract";
import type { Queryable } from "@invoicing/shared/platform";
import { z } from "zod";

const InvoiceRow = z.object({
  id: z.string(),
  amount_minor: z.coerce.number().int(),
  currency: z.string(),
  status: z.enum(["unpaid", "pending", "paid", "failed"]),
  failure_reason: z.string().nullable(),
  created_at: z.coerce.date(),
  updated_at: z.coerce.date(),
});

// Row schemas live at module level: zod compiles a schema on its first parse, so one built per call costs that each time.
const IdRow = z.object({ id: z.string() });
const EventOnceRow = z.object({ seen: z.coerce.number(), changed: z.coerce.number() });
const StatusCountRow = z.object({ status: InvoiceRow.shape.status, n: z.coerce.number() });

export const COLUMNS = "id, amount_minor, currency, status, failure_reason, created_at, updated_at";

export interface NewInvoice {
  id: string;
  amountMinor: number;
  currency: string;
}

/** What an attempt's outcome says about the invoice that owns the idempotency key. */
export type PaymentOutcome =
  | { kind: "succeeded"; paymentId: string; amountMinor: number; currency: string }
  | { kind: "declined"; reason: string }
  /** The provider refused the request itself: nothing was charged and retrying the same request cannot help. */
  | { kind: "refused"; reason: string }
  /** Retries ran out without an answer: the attempt may or may not have been charged. */
  | { kind: "unknown"; reason: string };

/** Pending, silent for $1 ms, and no request of its own in queue $2 queued or running. */
const STALE_PENDING = `
  i.status = 'pending' AND i.payment_key IS NOT NULL
  AND greatest(i.updated_at, coalesce(i.payment_checked_at, i.updated_at)) < now() - make_interval(secs => $1::float8 / 1000)
  AND NOT EXISTS (
    SELECT 1 FROM jobs j WHERE j.queue = $2 AND j.status IN ('ready', 'running') AND j.payload->>'invoiceId' = i.id)`;

export class InvoiceExistsError extends Error {
  constructor(readonly id: string) {
    super(`invoice ${id} already exists`);
  }
}

export function toInvoice(row: unknown): Invoice {
  const r = InvoiceRow.parse(row);
  return {
    id: r.id,
    amountMinor: r.amount_minor,
    currency: r.currency,
    status: r.status,
    failureReason: r.failure_reason,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export const PAYMENT_QUEUE = "payment-requested";
/** Marks the dedupe key of a payment request queued again by requeueStalePending (`<key>:check:<ms>`). */
export const RECHECK_MARK = ":check:";

export class InvoicesRepository {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<Invoice[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM invoices ORDER BY created_at, id`)).map(toInvoice);
  }

  async get(id: string): Promise<Invoice | undefined> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM invoices WHERE id = $1`, [id]);
    return rows.length === 0 ? undefined : toInvoice(rows[0]);
  }

  /** Invoices changed at or after `since`, oldest change first. */
  async changedSince(since: Date, limit: number): Promise<Invoice[]> {
    const rows = await this.db.query(
      `SELECT ${COLUMNS} FROM invoices WHERE updated_at >= $1 ORDER BY updated_at, id LIMIT $2`,
      [since, limit],
    );
    return rows.map(toInvoice);
  }

  async create(invoice: NewInvoice): Promise<Invoice> {
    const rows = await this.db.query(
      `INSERT INTO invoices (id, amount_minor, currency) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO NOTHING RETURNING ${COLUMNS}`,
      [invoice.id, invoice.amountMinor, invoice.currency],
    );
    if (rows.length === 0) throw new InvoiceExistsError(invoice.id);
    return toInvoice(rows[0]);
  }

  async insertMissing(invoices: readonly NewInvoice[]): Promise<void> {
    for (const invoice of invoices) {
      await this.db.query(
        "INSERT INTO invoices (id, amount_minor, currency) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        [invoice.id, invoice.amountMinor, invoice.currency],
      );
    }
  }

  /**
   * Transactional outbox in one statement: moves payable invoices (all, or the one given) to pending and queues a
   * PaymentRequested job for each. Returns the ids started. See domain/invoice.ts for when the attempt advances.
   */
  async startPayments(maxAttempts: number, id?: string): Promise<string[]> {
    const rows = await this.db.query(
      `WITH claimed AS (
         UPDATE invoices
            SET status = 'pending',
                payment_attempt = payment_attempt + CASE WHEN payment_outcome_unknown THEN 0 ELSE 1 END,
                payment_key = 'invoice:' || id || ':attempt:' ||
                              (payment_attempt + CASE WHEN payment_outcome_unknown THEN 0 ELSE 1 END),
                payment_outcome_unknown = false,
                failure_reason = NULL,
                updated_at = now()
          WHERE status IN ('unpaid', 'failed') AND ($1::text IS NULL OR id = $1)
          RETURNING id, amount_minor, currency, payment_key)
       INSERT INTO jobs (queue, dedupe_key, payload, max_attempts)
       SELECT $2, payment_key,
              jsonb_build_object('invoiceId', id, 'amountMinor', amount_minor, 'currency', currency,
                                 'idempotencyKey', payment_key),
              $3
         FROM claimed
       ON CONFLICT (queue, dedupe_key) DO UPDATE
          SET status = 'ready', attempts = 0, run_at = now(), last_error = NULL, updated_at = now()
        WHERE jobs.status = 'failed'
       RETURNING payload->>'invoiceId' AS id`,
      [id ?? null, PAYMENT_QUEUE, maxAttempts],
    );
    return rows.map((row) => IdRow.parse(row).id);
  }

  /**
   * Transactional outbox for reconciliation: queues the payment request again, under the same idempotency key, for
   * pending invoices that have heard nothing for `staleMs` and have no request of theirs queued or running. The
   * provider answers a repeated key with the payment as it stands, so an outcome whose event never arrived (the
   * webhook gave up, the event was lost) is recorded; nothing is charged twice. Returns the ids re-queued.
   */
  async requeueStalePending(staleMs: number, limit: number, maxAttempts: number): Promise<string[]> {
    // Looked for first without touching anything: an UPDATE of no rows would still fire the statement trigger that
    // bumps the invoice version, and empty every replica's cached list on every sweep.
    const due = await this.db.query(`SELECT 1 FROM invoices i WHERE ${STALE_PENDING} LIMIT 1`, [
      staleMs,
      PAYMENT_QUEUE,
    ]);
    if (due.length === 0) return [];
    const rows = await this.db.query(
      `WITH stale AS (
         SELECT i.id FROM invoices i
          WHERE ${STALE_PENDING}
          ORDER BY i.updated_at
          LIMIT $3
          FOR UPDATE OF i SKIP LOCKED),
       checked AS (
         UPDATE invoices i SET payment_checked_at = now()
           FROM stale WHERE i.id = stale.id
         RETURNING i.id, i.amount_minor, i.currency, i.payment_key)
       INSERT INTO jobs (queue, dedupe_key, payload, max_attempts)
       SELECT $2, payment_key || '${RECHECK_MARK}' || (extract(epoch FROM now()) * 1000)::bigint,
              jsonb_build_object('invoiceId', id, 'amountMinor', amount_minor, 'currency', currency,
                                 'idempotencyKey', payment_key),
              $4
         FROM checked
       ON CONFLICT (queue, dedupe_key) DO NOTHING
       RETURNING payload->>'invoiceId' AS id`,
      [staleMs, PAYMENT_QUEUE, limit, maxAttempts],
    );
    return rows.map((row) => IdRow.parse(row).id);
  }

  /**
   * Applies an attempt's outcome to the invoice that still owns that idempotency key. Returns false when it
   * changes nothing: a duplicate, a stale attempt, or an invoice already paid. A success also lands on an invoice
   * whose attempt was given up as unknown: the money moved, so the invoice is paid.
   */
  async recordOutcome(invoiceId: string, idempotencyKey: string, outcome: PaymentOutcome): Promise<boolean> {
    const update = outcomeUpdate(invoiceId, idempotencyKey, outcome);
    const rows = await this.db.query(`${update.sql} RETURNING id`, update.params);
    return rows.length === 1;
  }

  /**
   * The inbox and `recordOutcome` in one statement (so one round trip, and atomic like a transaction): records the
   * event id and, only if it was not seen before, applies the outcome.
   */
  async applyEventOnce(
    eventId: string,
    invoiceId: string,
    idempotencyKey: string,
    outcome: PaymentOutcome,
  ): Promise<"applied" | "duplicate" | "ignored"> {
    const update = outcomeUpdate(invoiceId, idempotencyKey, outcome, 2);
    const [row] = await this.db.query(
      `WITH seen AS (
         INSERT INTO inbox (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING RETURNING event_id),
       changed AS (
         ${update.sql} AND EXISTS (SELECT 1 FROM seen) RETURNING id)
       SELECT (SELECT count(*) FROM seen)::int AS seen, (SELECT count(*) FROM changed)::int AS changed`,
      [eventId, ...update.params],
    );
    const { seen, changed } = EventOnceRow.parse(row);
    return seen === 0 ? "duplicate" : changed > 0 ? "applied" : "ignored";
  }

  /** Records an event id; false when it was seen before (the inbox of exactly-once application). */
  async markEventSeen(eventId: string): Promise<boolean> {
    const rows = await this.db.query(
      "INSERT INTO inbox (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
      [eventId],
    );
    return rows.length === 1;
  }

  async countByStatus(ids: readonly string[]): Promise<Record<Invoice["status"], number>> {
    const rows = await this.db.query(
      "SELECT status, count(*)::int AS n FROM invoices WHERE id = ANY($1::text[]) GROUP BY status",
      [toTextArray(ids)],
    );
    const counts = { unpaid: 0, pending: 0, paid: 0, failed: 0 };
    for (const row of rows) {
      const { status, n } = StatusCountRow.parse(row);
      counts[status] = n;
    }
    return counts;
  }
}

/** The UPDATE behind recordOutcome (without RETURNING); its parameters are numbered from `first`. */
function outcomeUpdate(
  invoiceId: string,
  idempotencyKey: string,
  outcome: PaymentOutcome,
  first = 1,
): { sql: string; params: (string | number | boolean | null)[] } {
  const [status, fromStatuses, reason, outcomeUnknown] =
    outcome.kind === "succeeded"
      ? ["paid", ["pending", "failed"], null, false]
      : outcome.kind === "unknown"
        ? ["failed", ["pending"], outcome.reason, true]
        : ["failed", ["pending", "failed"], outcome.reason, false];
  const $ = (n: number) => `$${first + n - 1}`;
  return {
    sql: `UPDATE invoices
             SET status = ${$(3)}, failure_reason = ${$(5)}, payment_outcome_unknown = ${$(6)},
                 payment_id = COALESCE(${$(7)}, payment_id), updated_at = now()
           WHERE id = ${$(1)} AND payment_key = ${$(2)} AND status = ANY(${$(4)}::text[])
             AND (${$(8)}::bigint IS NULL OR (amount_minor = ${$(8)} AND currency = ${$(9)}))
             AND NOT (status = 'failed' AND payment_outcome_unknown = false)`,
    params: [
      invoiceId,
      idempotencyKey,
      status,
      `{${fromStatuses.join(",")}}`,
      reason,
      outcomeUnknown,
      outcome.kind === "succeeded" ? outcome.paymentId : null,
      outcome.kind === "succeeded" ? outcome.amountMinor : null,
      outcome.kind === "succeeded" ? outcome.currency : null,
    ],
  };
}

/** A PostgreSQL text[] literal; every element quoted so ids with commas or braces stay intact. */
function toTextArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/(["\\])/g, "\\$1")}"`).join(",")}}`;
}
