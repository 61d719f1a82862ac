import { randomUUID } from "node:crypto";
import type { CreateInvoiceInput, Invoice, PaymentSettled, PayResult } from "@invoicing/shared/contract";
import { coalesce, type Database, isDataError } from "@invoicing/shared/platform";
import { SEED_INVOICES } from "./domain/invoice.js";
import { type InvoiceListCache, InvoiceListSnapshot } from "./store/invoice-list-cache.js";
import { type EventResult, InvoicesRepository, type SettlementEvent } from "./store/invoices-repository.js";

function settlementEvent(event: PaymentSettled): SettlementEvent {
  const { payment } = event;
  return {
    eventId: event.eventId,
    invoiceId: payment.invoiceId,
    idempotencyKey: payment.idempotencyKey,
    outcome:
      payment.status === "succeeded"
        ? { kind: "succeeded", paymentId: payment.id, amountMinor: payment.amountMinor, currency: payment.currency }
        : { kind: "declined", reason: payment.declineReason ?? "declined" },
  };
}

export class InvoiceNotFoundError extends Error {
  constructor(id: string) {
    super(`invoice ${id} not found`);
  }
}

export interface InvoicesServiceOptions {
  maxPaymentAttempts: number;
  maxWaitMs: number;
  /** Called after payments were queued (wakes the payment worker). */
  afterPaymentsStarted?(): void;
  /** Serves the list from memory; this service invalidates it after each change it commits. */
  listCache?: InvoiceListCache;
}

const WAIT_POLL_MS = 50;
/** Events delivered concurrently share one inbox statement up to this many. */
const EVENT_BATCH_LIMIT = 256;

/** The one implementation behind both the tRPC procedures and the legacy REST routes. */
export class InvoicesService {
  private readonly repository: InvoicesRepository;
  private readonly applyEventOnce: (event: SettlementEvent) => Promise<EventResult>;

  constructor(
    private readonly db: Database,
    private readonly options: InvoicesServiceOptions,
  ) {
    this.repository = new InvoicesRepository(db);
    this.applyEventOnce = coalesce((events) => this.applySettlementEvents(events), {
      maxBatchSize: EVENT_BATCH_LIMIT,
      splitOn: isDataError,
    });
  }

  async list(): Promise<Invoice[]> {
    return [...(await this.listSnapshot()).invoices];
  }

  /** The cached list if a confirmed copy is held, without waiting or touching the database. */
  cachedListSnapshot(): InvoiceListSnapshot | undefined {
    return this.options.listCache?.peek();
  }

  /** The whole list with its serialized forms; synchronous when the cache holds a confirmed copy. */
  listSnapshot(): InvoiceListSnapshot | Promise<InvoiceListSnapshot> {
    const cache = this.options.listCache;
    if (cache !== undefined) return cache.get();
    return this.repository.list().then((invoices) => new InvoiceListSnapshot(invoices));
  }

  /** Tells the list cache that a change made here has committed. */
  invoicesChanged(): void {
    this.options.listCache?.invalidate();
  }

  async get(id: string): Promise<Invoice> {
    const invoice = await this.repository.get(id);
    if (invoice === undefined) throw new InvoiceNotFoundError(id);
    return invoice;
  }

  async create(input: CreateInvoiceInput): Promise<Invoice> {
    try {
      return await this.repository.create({ ...input, id: input.id ?? randomUUID() });
    } finally {
      this.invoicesChanged();
    }
  }

  async seed(): Promise<void> {
    await this.repository.insertMissing(SEED_INVOICES);
    this.invoicesChanged();
  }

  changedSince(since: Date, limit: number): Promise<Invoice[]> {
    return this.repository.changedSince(since, limit);
  }

  /**
   * Queues a payment for every unpaid or failed invoice and returns at once, or, with waitMs, once the batch has
   * settled or the wait ran out. Invoices already pending are in flight and are not queued twice.
   */
  async payAll(waitMs = 0): Promise<PayResult> {
    const started = await this.repository.startPayments(this.options.maxPaymentAttempts);
    this.invoicesChanged();
    if (started.length > 0) this.options.afterPaymentsStarted?.();
    return this.summarize(started, waitMs);
  }

  async pay(id: string, waitMs = 0): Promise<Invoice> {
    await this.get(id);
    const started = await this.repository.startPayments(this.options.maxPaymentAttempts, id);
    this.invoicesChanged();
    if (started.length > 0) this.options.afterPaymentsStarted?.();
    if (started.length > 0) await this.summarize(started, waitMs);
    return this.get(id);
  }

  /**
   * Applies a PaymentSettled event exactly once: the inbox row and the invoice change commit together, so a
   * duplicate delivery finds the event already seen and a stale or out-of-order one matches no invoice state.
   */
  applySettlement(event: PaymentSettled): Promise<EventResult> {
    return this.applyEventOnce(settlementEvent(event));
  }

  /** `applySettlement` for the events of one delivery, applied in their order and answered in it. */
  applySettlements(events: readonly PaymentSettled[]): Promise<EventResult[]> {
    return this.applySettlementEvents(events.map(settlementEvent));
  }

  private async applySettlementEvents(events: readonly SettlementEvent[]): Promise<EventResult[]> {
    // Events for the same invoice need one statement each, in order; those statements commit together.
    const oneStatement = new Set(events.map((event) => event.invoiceId)).size === events.length;
    try {
      const results = oneStatement
        ? await this.repository.applyEventsOnce(events)
        : await this.db.transaction((tx) => new InvoicesRepository(tx).applyEventsOnce(events));
      if (results.includes("applied")) this.invoicesChanged();
      return results;
    } catch (error) {
      this.invoicesChanged(); // whether it committed is unknown: the cached list must not outlive the doubt
      throw error;
    }
  }

  private async summarize(ids: readonly string[], waitMs: number): Promise<PayResult> {
    const deadline = Date.now() + Math.min(waitMs, this.options.maxWaitMs);
    for (;;) {
      const counts = ids.length === 0 ? { pending: 0, paid: 0, failed: 0 } : await this.repository.countByStatus(ids);
      if (counts.pending === 0 || Date.now() >= deadline) {
        return { started: ids.length, paid: counts.paid, failed: counts.failed, pending: counts.pending };
      }
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }
}
