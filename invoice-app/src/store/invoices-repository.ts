import type { Invoice } from "@invoicing/shared/contract";
import type { Queryable } from "@invoicing/shared/platform";
import { z } from "zod";
import { PAYABLE_STATUSES } from "../domain/invoice.js";

const InvoiceRow = z.object({
  id: z.string(),
  amount_minor: z.coerce.number().int(),
  currency: z.string(),
  status: z.enum(["unpaid", "pending", "paid", "failed"]),
  payment_attempt: z.coerce.number().int(),
  failure_reason: z.string().nullable(),
  created_at: z.coerce.date(),
  updated_at: z.coerce.date(),
});

const COLUMNS = "id, amount_minor, currency, status, payment_attempt, failure_reason, created_at, updated_at";

export interface NewInvoice {
  id: string;
  amountMinor: number;
  currency: string;
}

export interface PaymentClaim {
  invoiceId: string;
  amountMinor: number;
  currency: string;
  attempt: number;
}

export class InvoiceExistsError extends Error {
  constructor(readonly id: string) {
    super(`invoice ${id} already exists`);
  }
}

function toInvoice(row: unknown): Invoice {
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

export class InvoicesRepository {
  constructor(private readonly db: Queryable) {}

  async list(): Promise<Invoice[]> {
    return (await this.db.query(`SELECT ${COLUMNS} FROM invoices ORDER BY created_at, id`)).map(toInvoice);
  }

  async get(id: string): Promise<Invoice | undefined> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM invoices WHERE id = $1`, [id]);
    return rows.length === 0 ? undefined : toInvoice(rows[0]);
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
   * Moves payable invoices (all, or the one given) to pending in one statement and returns what to charge.
   * The attempt number advances only for invoices whose previous attempt has a definite outcome.
   */
  async claimForPayment(id?: string): Promise<PaymentClaim[]> {
    const rows = await this.db.query(
      `UPDATE invoices
          SET status = 'pending',
              payment_attempt = CASE WHEN status = 'pending' THEN payment_attempt ELSE payment_attempt + 1 END,
              failure_reason = NULL,
              updated_at = now()
        WHERE status = ANY($1::text[]) AND ($2::text IS NULL OR id = $2)
        RETURNING id, amount_minor, currency, payment_attempt`,
      [`{${PAYABLE_STATUSES.join(",")}}`, id ?? null],
    );
    return rows.map((row) => {
      const r = InvoiceRow.pick({ id: true, amount_minor: true, currency: true, payment_attempt: true }).parse(row);
      return { invoiceId: r.id, amountMinor: r.amount_minor, currency: r.currency, attempt: r.payment_attempt };
    });
  }

  /** Records a definite outcome, but only for the attempt it belongs to: a late answer to an old attempt is ignored. */
  async settle(
    claim: PaymentClaim,
    outcome: { status: "paid"; paymentId: string } | { status: "failed"; reason: string },
  ): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE invoices
          SET status = $3, payment_id = $4, failure_reason = $5, updated_at = now()
        WHERE id = $1 AND payment_attempt = $2 AND status = 'pending'
        RETURNING id`,
      [
        claim.invoiceId,
        claim.attempt,
        outcome.status,
        outcome.status === "paid" ? outcome.paymentId : null,
        outcome.status === "failed" ? outcome.reason : null,
      ],
    );
    return rows.length === 1;
  }
}
