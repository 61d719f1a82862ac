import { PAYMENT_EVENTS_BATCH_LIMIT, type Payment, PaymentSettled } from "@invoicing/shared/contract";
import type { Database } from "@invoicing/shared/platform";
import {
  enqueue,
  enqueueMany,
  handleInChunks,
  type Job,
  type JobSpec,
  type Logger,
  type QueueHandler,
  RetryBatchLaterError,
} from "@invoicing/shared/platform";
import * as z from "zod";
import type { SettlementPolicy } from "../domain/settlement.js";
import { PaymentsRepository } from "../store/payments-repository.js";
import { WebhookDeliveryError, type WebhookSender } from "./webhook-sender.js";

export const SETTLE_QUEUE = "settle-payment";
export const DELIVER_QUEUE = "deliver-payment-event";

const SettleJob = z.object({ paymentId: z.string() });

export function settlementEventId(paymentId: string): string {
  return `evt_${paymentId}_settled`;
}

export interface SettlementJobsOptions {
  db: Database;
  policy: SettlementPolicy;
  webhook: WebhookSender;
  logger: Logger;
  latencyMs: number;
  eventMaxAttempts: number;
}

function settledEvent(settled: Payment): PaymentSettled {
  return {
    type: "PaymentSettled",
    eventId: settlementEventId(settled.id),
    occurredAt: new Date().toISOString(),
    payment: {
      id: settled.id,
      invoiceId: settled.invoiceId,
      idempotencyKey: settled.idempotencyKey,
      amountMinor: settled.amountMinor,
      currency: settled.currency,
      status: settled.status === "declined" ? "declined" : "succeeded",
      declineReason: settled.declineReason,
    },
  };
}

/** Settling a payment and telling invoice-app about it, as two durable steps (the second is the outbox). */
export function createSettlementJobs(options: SettlementJobsOptions) {
  const { db, policy, webhook, logger } = options;

  const settle: QueueHandler<z.infer<typeof SettleJob>> = {
    queue: SETTLE_QUEUE,
    payload: SettleJob,
    async handle(job: Job<z.infer<typeof SettleJob>>) {
      const decision = policy.decide(job.payload.paymentId);
      await db.transaction(async (tx) => {
        const settled = await new PaymentsRepository(tx).settle(
          job.payload.paymentId,
          decision.outcome === "succeeded" ? { status: "succeeded" } : { status: "declined", reason: decision.reason },
        );
        if (settled === undefined) return; // settled by an earlier run of this job
        const event = settledEvent(settled);
        await enqueue(tx, DELIVER_QUEUE, event, { dedupeKey: event.eventId, maxAttempts: options.eventMaxAttempts });
      });
    },
    /** The same for every settlement claimed together, in one transaction (a failure falls back to `handle`). */
    async handleBatch(jobs) {
      await db.transaction(async (tx) => {
        const settled = await new PaymentsRepository(tx).settleMany(
          jobs.map((job) => {
            const decision = policy.decide(job.payload.paymentId);
            return decision.outcome === "succeeded"
              ? { id: job.payload.paymentId, status: "succeeded" as const }
              : { id: job.payload.paymentId, status: "declined" as const, reason: decision.reason };
          }),
        );
        const events = settled.map(settledEvent);
        await enqueueMany(
          tx,
          DELIVER_QUEUE,
          events.map((event) => ({ payload: event, dedupeKey: event.eventId })),
          { maxAttempts: options.eventMaxAttempts },
        );
      });
    },
  };

  const deliver: QueueHandler<PaymentSettled> = {
    queue: DELIVER_QUEUE,
    payload: PaymentSettled,
    async handle(job) {
      await webhook.deliver(job.payload);
    },
    /**
     * Events claimed together go in batch requests. If invoice-app is unreachable, overloaded or slow, every event is
     * retried later with backoff; if it refused a batch (e.g. an older invoice-app without the batch route), every
     * event is delivered on its own. Redelivering an event that did arrive is harmless: the inbox ignores it.
     */
    handleBatch(jobs) {
      return handleInChunks(jobs, PAYMENT_EVENTS_BATCH_LIMIT, async (chunk) => {
        try {
          await webhook.deliverBatch(chunk.map((job) => job.payload));
        } catch (error) {
          if (error instanceof WebhookDeliveryError && error.retryable) throw new RetryBatchLaterError(error.message);
          throw error;
        }
      });
    },
    async onParked(job, reason) {
      logger.error({ eventId: job.payload.eventId, reason }, "payment event could not be delivered; parked");
    },
  };

  return {
    handlers: [settle, deliver] as QueueHandler<unknown>[],
    settlementJob: (paymentId: string): JobSpec => ({
      queue: SETTLE_QUEUE,
      payload: { paymentId },
      dedupeKey: paymentId,
      delayMs: options.latencyMs,
      maxAttempts: 100,
    }),
  };
}
