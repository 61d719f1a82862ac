import type { Logger } from "@invoicing/shared/platform";
import type { InvoicesRepository } from "../store/invoices-repository.js";

export interface PendingRecheckOptions {
  /** How long a pending invoice may hear nothing before its payment is asked about again. */
  staleMs: number;
  maxAttempts: number;
  /** Invoices re-queued per sweep. */
  batch?: number;
  /** Called when requests were queued (wakes the worker). */
  queued(): void;
}

/**
 * Sweeps for pending invoices whose settlement event never arrived (payment-provider parked it, or it was lost) and
 * queues their payment request again: see InvoicesRepository.requeueStalePending. Every replica sweeps; the
 * statement skips rows another replica holds, so each stale invoice is re-queued once per period.
 */
export function startPendingRecheck(repository: InvoicesRepository, logger: Logger, options: PendingRecheckOptions) {
  const every = Math.max(100, Math.min(60_000, Math.floor(options.staleMs / 2)));
  let sweeping: Promise<void> | undefined;
  const sweep = async () => {
    try {
      const ids = await repository.requeueStalePending(options.staleMs, options.batch ?? 500, options.maxAttempts);
      if (ids.length > 0) {
        logger.warn({ invoices: ids.length, staleMs: options.staleMs }, "re-queued payments of stale pending invoices");
        options.queued();
      }
    } catch (error) {
      logger.warn({ err: error }, "pending invoice recheck failed; trying again next period");
    }
  };
  const timer = setInterval(() => {
    sweeping ??= sweep().finally(() => {
      sweeping = undefined;
    });
  }, every);
  timer.unref();
  return {
    async stop(): Promise<void> {
      clearInterval(timer);
      await sweeping;
    },
  };
}
