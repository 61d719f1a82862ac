import type { Invoice } from "@invoicing/shared/contract";
import type { InvoicesService } from "../invoices-service.js";
import type { InvoiceVersionWatch } from "../store/invoice-version-watch.js";

const BATCH = 500;
// Transactions commit in a different order than their now() timestamps; re-reading a short window behind the
// cursor catches a change that committed late, and the seen-set drops what was already sent.
const OVERLAP_MS = 2_000;

/**
 * Invoice changes read from the database, not from process memory, so an observer connected to one replica also
 * sees changes another replica made (a webhook handled elsewhere, say). Between reads it waits for the shared
 * change counter to move (InvoiceVersionWatch).
 */
export async function* invoiceChanges(
  invoices: InvoicesService,
  versions: InvoiceVersionWatch,
  since: Date,
  signal: AbortSignal | undefined,
): AsyncGenerator<Invoice> {
  let cursor = since.getTime();
  const sent = new Map<string, number>();
  while (signal?.aborted !== true) {
    const before = versions.known();
    const changes = await invoices.changedSince(new Date(cursor - OVERLAP_MS), BATCH);
    for (const invoice of changes) {
      const changedAt = Date.parse(invoice.updatedAt);
      if (changedAt < since.getTime()) continue;
      const key = `${invoice.id}@${invoice.updatedAt}`;
      if (sent.has(key)) continue;
      sent.set(key, changedAt);
      cursor = Math.max(cursor, changedAt);
      yield invoice;
    }
    for (const [key, changedAt] of sent) if (changedAt < cursor - OVERLAP_MS) sent.delete(key);
    if (changes.length < BATCH) await versions.changedFrom(before, signal);
  }
}
