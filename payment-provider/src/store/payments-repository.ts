import type { CreatePaymentInput, Payment, PaymentStatus } from "@invoicing/shared/contract";
import { enqueueWith, type JobSpec, type Queryable, type SqlParam } from "@invoicing/shared/platform";
import { z } from "zod";

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
  insertOnce(payment: NewPayment): Promise<{ payment: Payment; created: boolean }> {
    return this.insert(payment);
  }

  /**
   * `insertOnce` that also enqueues `job` when (and only when) it inserts, in the same statement: the payment and
   * its outbox job commit together, in one round trip.
   */
  insertOnceWithJob(payment: NewPayment, job: JobSpec): Promise<{ payment: Payment; created: boolean }> {
    return this.insert(payment, job);
  }

  private async insert(payment: NewPayment, job?: JobSpec): Promise<{ payment: Payment; created: boolean }> {
    const insert = `INSERT INTO payments (id, idempotency_key, invoice_id, amount_minor, currency, status, decline_reason, settled_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $6 = 'processing' THEN NULL ELSE now() END)
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING ${COLUMNS}`;
    const params: SqlParam[] = [
      payment.id,
      payment.idempotencyKey,
      payment.invoiceId,
      payment.amountMinor,
      payment.currency,
      payment.status,
      payment.declineReason,
    ];
    const enqueueJob = job === undefined ? undefined : enqueueWith("inserted", job, params.length + 1);
    const inserted =
      enqueueJob === undefined
        ? await this.db.query(insert, params)
        : await this.db.query(
            `WITH inserted AS (${insert}), scheduled AS (${enqueueJob.sql}) SELECT ${COLUMNS} FROM inserted`,
            [...params, ...enqueueJob.params],
          );
    const [created] = parseRows(inserted);
    if (created !== undefined) return { payment: created, created: true };
    const existing = await this.findByIdempotencyKey(payment.idempotencyKey);
    if (existing === undefined) throw new Error(`payment with key ${payment.idempotencyKey} vanished after a conflict`);
    return { payment: existing, created: false };
  }

  async findById(id: string): Promise<Payment | undefined> {
    return parseRows(await this.db.query(`SELECT ${COLUMNS} FROM payments WHERE id = $1`, [id]))[0];
  }

  async findByIdempotencyKey(key: string): Promise<Payment | undefined> {
    return parseRows(await this.db.query(`SELECT ${COLUMNS} FROM payments WHERE idempotency_key = $1`, [key]))[0];
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
      `UPDATE payments p SET status = d.status, decline_reason = d.reason, settled_at = now()
         FROM jsonb_to_recordset($1::jsonb) AS d(id text, status text, reason text)
        WHERE p.id = d.id AND p.status = 'processing'
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
