import type { Logger, Queryable } from "@invoicing/shared/platform";
import { VERSION_SQL, VersionRow } from "./invoice-list-cache.js";

interface Waiter {
  from: string | undefined;
  resolve(): void;
}

/**
 * One poll of the invoices' change counter (migration 003) per process, however many change streams wait on it:
 * a stream waits for the counter to move before it reads the database again, so idle subscribers cost one tiny
 * query per interval in total instead of a read of the invoices each. Polls only while someone waits.
 */
export class InvoiceVersionWatch {
  private latest: string | undefined;
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
    private readonly pollMs = 250,
  ) {}

  /** The last counter value seen, without a query (undefined before the first poll). */
  known(): string | undefined {
    return this.latest;
  }

  /**
   * Resolves once a poll sees a counter other than `from` (a value taken from `known()` before reading changes),
   * or when the signal aborts. Counters only grow, so any change committed after `from` was seen wakes the caller.
   */
  changedFrom(from: string | undefined, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        from,
        resolve: () => {
          this.waiters.delete(waiter);
          signal?.removeEventListener("abort", waiter.resolve);
          if (this.waiters.size === 0 && !this.polling) {
            clearTimeout(this.timer);
            this.timer = undefined;
          }
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener("abort", waiter.resolve, { once: true });
      this.schedule();
    });
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const waiter of [...this.waiters]) waiter.resolve();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      const [row] = await this.db.query(VERSION_SQL);
      this.latest = VersionRow.parse(row).version;
      for (const waiter of [...this.waiters]) if (waiter.from !== this.latest) waiter.resolve();
    } catch (error) {
      // Wake everyone: each stream reads the database itself and surfaces the failure to its subscriber.
      this.logger.debug({ err: error }, "invoice version poll failed");
      for (const waiter of [...this.waiters]) waiter.resolve();
    }
    this.polling = false;
    this.timer = undefined;
    if (this.waiters.size > 0) this.schedule();
  }
}
