import type { Invoice } from "@invoicing/shared/contract";
import type { Queryable } from "@invoicing/shared/platform";
import * as z from "zod";

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
const EventOnceRow = z.object({ event_id: z.string(), seen: z.boolean(), changed: z.boolean() });
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

/** A settlement event for the inbox: its id and the outcome it reports for an attempt of an invoice. */
export interface SettlementEvent {
  eventId: string;
  invoiceId: string;
  idempotencyKey: string;
  outcome: PaymentOutcome;
}

export type EventResult = "applied" | "duplicate" | "ignored";

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
    const rows = await this.db.query(`WITH d AS (${OUTCOME_ROWS}) ${applyOutcomes()} RETURNING i.id`, [
      JSON.stringify([outcomeRow({ invoiceId, idempotencyKey, outcome })]),
    ]);
    return rows.length === 1;
  }

  /**
   * The inbox and `recordOutcome` in one statement (so one round trip, and atomic like a transaction), for several
   * events at once, answered in order: records each event id and, only if it was not seen before, applies its
   * outcome. Events are applied in the order given: an event id given twice is a duplicate the second time, and a
   * later event for the same invoice sees the state the earlier one left.
   */
  async applyEventsOnce(events: readonly SettlementEvent[]): Promise<EventResult[]> {
    const results: EventResult[] = [];
    const seenHere = new Set<string>();
    let round: { index: number; event: SettlementEvent }[] = [];
    let invoicesInRound = new Set<string>();
    const flush = async () => {
      if (round.length === 0) return;
      const applied = await this.applyRound(round.map(({ event }) => event));
      round.forEach(({ index }, i) => {
        results[index] = applied[i] as EventResult;
      });
      round = [];
      invoicesInRound = new Set();
    };
    for (const [index, event] of events.entries()) {
      if (seenHere.has(event.eventId)) {
        results[index] = "duplicate";
        continue;
      }
      seenHere.add(event.eventId);
      if (invoicesInRound.has(event.invoiceId)) await flush();
      invoicesInRound.add(event.invoiceId);
      round.push({ index, event });
    }
    await flush();
    return results;
  }

  /** One statement for events with distinct ids and distinct invoices. */
  private async applyRound(events: readonly SettlementEvent[]): Promise<EventResult[]> {
    const answered = await this.db.query(
      `WITH d AS (${OUTCOME_ROWS}),
       seen AS (
         -- In id order, so concurrent statements wait on each other's ids in one order and cannot deadlock.
         INSERT INTO inbox (event_id) SELECT event_id FROM d ORDER BY event_id
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id),
       changed AS (${applyOutcomes("d.event_id IN (SELECT event_id FROM seen)")} RETURNING d.event_id)
       SELECT d.event_id,
              EXISTS (SELECT 1 FROM seen WHERE seen.event_id = d.event_id) AS seen,
              EXISTS (SELECT 1 FROM changed WHERE changed.event_id = d.event_id) AS changed
         FROM d`,
      [JSON.stringify(events.map(outcomeRow))],
    );
    const byEvent = new Map(answered.map((row) => EventOnceRow.parse(row)).map((row) => [row.event_id, row]));
    return events.map((event) => {
      const row = byEvent.get(event.eventId);
      if (row === undefined) throw new Error(`event ${event.eventId} missing from the inbox statement's answer`);
      return !row.seen ? "duplicate" : row.changed ? "applied" : "ignored";
    });
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

/** Outcomes to apply, one row each (`event_id` only when it came as an event): what `applyOutcomes` reads as `d`. */
const OUTCOME_ROWS = `SELECT * FROM jsonb_to_recordset($1::jsonb)
  AS d(event_id text, invoice_id text, payment_key text, status text, from_statuses text, reason text,
       outcome_unknown boolean, payment_id text, amount_minor bigint, currency text)`;

/**
 * The UPDATE behind recordOutcome and the inbox: applies each row of `d` (and only those `onlyIf` admits) to the
 * invoice that still owns its key, from the states the outcome may land on; never on a definite failure, never with
 * another amount. The ANY lets the planner find the invoices by primary key: without it, it expects 100 input rows
 * and hash joins them against a scan of the whole table.
 */
const applyOutcomes = (onlyIf = "TRUE") => `
  UPDATE invoices i
     SET status = d.status, failure_reason = d.reason, payment_outcome_unknown = d.outcome_unknown,
         payment_id = COALESCE(d.payment_id, i.payment_id), updated_at = now()
    FROM d
   WHERE i.id = ANY (ARRAY(SELECT invoice_id FROM d)) AND i.id = d.invoice_id AND ${onlyIf}
     AND i.payment_key = d.payment_key AND i.status = ANY(d.from_statuses::text[])
     AND (d.amount_minor IS NULL OR (i.amount_minor = d.amount_minor AND i.currency = d.currency))
     AND NOT (i.status = 'failed' AND i.payment_outcome_unknown = false)`;

/** What an outcome writes to its invoice, and from which states: one row of OUTCOME_ROWS. */
function outcomeRow(event: Omit<SettlementEvent, "eventId"> & { eventId?: string }) {
  const { outcome } = event;
  const [status, fromStatuses, reason, outcomeUnknown] =
    outcome.kind === "succeeded"
      ? ["paid", "{pending,failed}", null, false]
      : outcome.kind === "unknown"
        ? ["failed", "{pending}", outcome.reason, true]
        : ["failed", "{pending,failed}", outcome.reason, false];
  const succeeded = outcome.kind === "succeeded" ? outcome : undefined;
  return {
    event_id: event.eventId ?? null,
    invoice_id: event.invoiceId,
    payment_key: event.idempotencyKey,
    status,
    from_statuses: fromStatuses,
    reason,
    outcome_unknown: outcomeUnknown,
    payment_id: succeeded?.paymentId ?? null,
    amount_minor: succeeded?.amountMinor ?? null,
    currency: succeeded?.currency ?? null,
  };
}

/** A PostgreSQL text[] literal; every element quoted so ids with commas or braces stay intact. */
function toTextArray(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/(["\\])/g, "\\$1")}"`).join(",")}}`;
}
