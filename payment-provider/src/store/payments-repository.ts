import type { CreatePaymentInput, Payment, PaymentStatus } from "@invoicing/shared/contract";
import { enqueueEachWith, type JobSpec, type Queryable } from "@invoicing/shared/platform";
import * as z from "zod";

const PaymentRow = z.object({
  id: z.string(),
  idempotency_key: z.string(),
  invoice_id: z.string(),
  amount_minor: z.coerce.number().int(),
  currency: z.string(),
  status: z.enum(["processing", "succeeded", "declined"]),
  decline_reason: z.string().nullable(),
  created_at: z.coerce.date(),
});
type PaymentRow = z.infer<typeof PaymentRow>;

const COLUMNS = "id, idempotency_key, invoice_id, amount_minor, currency, status, decline_reason, created_at";

function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    invoiceId: row.invoice_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    status: row.status,
    declineReason: row.decline_reason,
    idempotencyKey: row.idempotency_key,
    createdAt: row.created_at.toISOString(),
  };
}

const parseRows = (rows: unknown[]) => rows.map((row) => toPayment(PaymentRow.parse(row)));

export interface NewPayment extends CreatePaymentInput {
  id: string;
  status: PaymentStatus;
  declineReason: string | null;
}

export class PaymentsRepository {
  constructor(private readonly db: Queryable) {}

  /** Inserts unless the idempotency key exists; returns the stored payment and whether this call created it. */
  async insertOnce(payment: NewPayment): Promise<{ payment: Payment; created: boolean }> {
    const [stored] = await this.insertEachOnce([payment]);
    if (stored === undefined) throw new Error("insertEachOnce returned no result");
    return stored;
  }

  /**
   * `insertOnce` for several payments in one statement, answered in order. `jobs` maps a payment id to its outbox
   * job, enqueued in the same statement when (and only when) that payment is inserted: a payment and its job commit
   * together. A key given twice is inserted once; the second finds the first.
   */
  async insertEachOnce(
    payments: readonly NewPayment[],
    jobs: ReadonlyMap<string, JobSpec> = new Map(),
  ): Promise<{ payment: Payment; created: boolean }[]> {
    const rows = payments.map((payment, n) => ({
      n,
      id: payment.id,
      idempotency_key: payment.idempotencyKey,
      invoice_id: payment.invoiceId,
      amount_minor: payment.amountMinor,
      currency: payment.currency,
      status: payment.status,
      decline_reason: payment.declineReason,
    }));
    const enqueueJobs = enqueueEachWith("inserted", "id", jobs, 2);
    const inserted = parseRows(
      await this.db.query(
        `WITH inserted AS (
           INSERT INTO payments (id, idempotency_key, invoice_id, amount_minor, currency, status, decline_reason, settled_at)
           SELECT d.id, d.idempotency_key, d.invoice_id, d.amount_minor, d.currency, d.status, d.decline_reason,
                  CASE WHEN d.status = 'processing' THEN NULL ELSE now() END
             FROM jsonb_to_recordset($1::jsonb)
                  AS d(n integer, id text, idempotency_key text, invoice_id text, amount_minor bigint, currency text,
                       status text, decline_reason text)
            -- Key order: concurrent statements lock keys in the same order and cannot deadlock; within a key, the
            -- payment given first wins.
            ORDER BY d.idempotency_key, d.n
           ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING ${COLUMNS}),
         scheduled AS (${enqueueJobs.sql})
         SELECT ${COLUMNS} FROM inserted`,
        [JSON.stringify(rows), ...enqueueJobs.params],
      ),
    );
    const created = new Map(inserted.map((payment) => [payment.id, payment]));
    const replayedKeys = payments.filter((payment) => !created.has(payment.id)).map((p) => p.idempotencyKey);
    const existing = new Map(
      (replayedKeys.length === 0 ? [] : await this.findByIdempotencyKeys(replayedKeys)).map((payment) => [
        payment.idempotencyKey,
        payment,
      ]),
    );
    return payments.map((payment) => {
      const mine = created.get(payment.id);
      if (mine !== undefined) return { payment: mine, created: true };
      const stored = existing.get(payment.idempotencyKey);
      if (stored === undefined) throw new Error(`payment with key ${payment.idempotencyKey} vanished after a conflict`);
      return { payment: stored, created: false };
    });
  }

  async findById(id: string): Promise<Payment | undefined> {
    return parseRows(await this.db.query(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]))[0];
  }

  async findByIdempotencyKey(key: string): Promise<Payment | undefined> {
    return (await this.findByIdempotencyKeys([key]))[0];
  }

  async findByIdempotencyKeys(keys: readonly string[]): Promise<Payment[]> {
    return parseRows(
      await this.db.query(
        `SELECT ${COLUMNS} FROM payments WHERE idempotency_key IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        [JSON.stringify(keys)],
      ),
    );
  }

  /** Moves a processing payment to its final state; undefined when it was already settled. */
  async settle(
    id: string,
    outcome: { status: "succeeded" } | { status: "declined"; reason: string },
  ): Promise<Payment | undefined> {
    const rows = await this.db.query(
      `UPDATE payments SET status = $2, decline_reason = $3, settled_at = now()
        WHERE id = $1 AND status = 'processing'
        RETURNING ${COLUMNS}`,
      [id, outcome.status, outcome.status === "declined" ? outcome.reason : null],
    );
    return parseRows(rows)[0];
  }

  /** `settle` for several payments in one statement; returns the ones this call moved out of processing. */
  async settleMany(
    outcomes: readonly ({ id: string } & ({ status: "succeeded" } | { status: "declined"; reason: string }))[],
  ): Promise<Payment[]> {
    if (outcomes.length === 0) return [];
    const rows = await this.db.query(
      // The ANY lets the planner find the rows by primary key instead of hash joining a scan of the whole ledger.
      `WITH d AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(id text, status text, reason text))
       UPDATE payments p SET status = d.status, decline_reason = d.reason, settled_at = now()
         FROM d
        WHERE p.id = ANY (ARRAY(SELECT id FROM d)) AND p.id = d.id AND p.status = 'processing'
        RETURNING ${COLUMNS.split(", ")
          .map((column) => `p.${column}`)
          .join(", ")}`,
      [
        JSON.stringify(
          outcomes.map((outcome) => ({
            id: outcome.id,
            status: outcome.status,
            reason: outcome.status === "declined" ? outcome.reason : null,
          })),
        ),
      ],
    );
    return parseRows(rows);
  }

  async list(): Promise<Payment[]> {
    return parseRows(await this.db.query(`SELECT ${COLUMNS} FROM payments ORDER BY created_at, id`));
  }
}
