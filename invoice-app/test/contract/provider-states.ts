import type { InvoiceAppState, PendingInvoice } from "@invoicing/shared/contract";
import type { Database, Queryable } from "@invoicing/shared/platform";
import * as z from "zod";
import { InvoicesRepository, PAYMENT_QUEUE } from "../../src/store/invoices-repository.js";

const MAX_ATTEMPTS = 10;

/**
 * Puts invoice-app's own database into an interaction's provider state, through its repository: the invoice is
 * created and moved to pending by the same outbox statement `pay` uses, and its payment request is taken off the
 * queue in that transaction (it was "already sent"), so no worker races the verification.
 */
export async function setUpInvoiceAppState(db: Database, state: InvoiceAppState): Promise<void> {
  await db.exec("DELETE FROM inbox; DELETE FROM jobs; DELETE FROM invoices;");
  await db.transaction(async (tx) => {
    const pending = state.given === "invoices are pending" ? state.invoices : [state.invoice];
    for (const invoice of pending) await putPending(tx, invoice);
    const applied =
      state.given === "an invoice is pending and the event was already applied"
        ? [state.eventId]
        : state.given === "invoices are pending"
          ? (state.appliedEventIds ?? [])
          : [];
    for (const eventId of applied) await new InvoicesRepository(tx).markEventSeen(eventId);
  });
}

async function putPending(tx: Queryable, invoice: PendingInvoice): Promise<void> {
  const repository = new InvoicesRepository(tx);
  await repository.create({ id: invoice.id, amountMinor: invoice.amountMinor, currency: invoice.currency });
  await repository.startPayments(MAX_ATTEMPTS, invoice.id);
  const [row] = await tx.query("DELETE FROM jobs WHERE queue = $1 RETURNING payload->>'idempotencyKey' AS key", [
    PAYMENT_QUEUE,
  ]);
  const key = z.object({ key: z.string() }).safeParse(row);
  if (!key.success || key.data.key !== invoice.idempotencyKey) {
    throw new Error(
      `provider state: invoice-app derived key ${JSON.stringify(row)} for ${invoice.id}, the contract says ${invoice.idempotencyKey}`,
    );
  }
}
