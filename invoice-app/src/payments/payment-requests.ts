import { CREATE_PAYMENTS_BATCH_LIMIT, PaymentRequested } from "@invoicing/shared/contract";
import {
  handleInChunks,
  type Logger,
  type Queryable,
  type QueueHandler,
  RetryBatchLaterError,
} from "@invoicing/shared/platform";
import { InvoicesRepository, PAYMENT_QUEUE, RECHECK_MARK } from "../store/invoices-repository.js";
import type { PaymentCallResult, PaymentProviderClient } from "./payment-provider-client.js";

/**
 * Worker side of the outbox: asks payment-provider for the payment under the invoice's idempotency key.
 * Unavailable (network, timeout, 5xx) throws, so the queue retries with backoff; when retries run out the
 * invoice turns failed with its outcome unknown. A refusal (4xx) fails the invoice at once. Requests claimed
 * together go in one `payments.createBatch` call. If that call is refused as a whole, each runs again on its own;
 * if it goes unanswered, each is retried later with backoff, like a single call.
 */
export function paymentRequestHandler(
  db: Queryable,
  provider: PaymentProviderClient,
  logger: Logger,
  /** Called once an outcome recorded here has committed (invalidates the cached invoice list). */
  invoicesChanged: () => void = () => {},
): QueueHandler<PaymentRequested> {
  const invoices = new InvoicesRepository(db);

  async function record(payload: PaymentRequested, result: PaymentCallResult): Promise<void> {
    switch (result.kind) {
      case "payment": {
        const { payment } = result;
        // Usually still processing: the PaymentSettled event finishes the invoice. A replay can already be final.
        if (payment.status === "succeeded") {
          await invoices.recordOutcome(payload.invoiceId, payload.idempotencyKey, {
            kind: "succeeded",
            paymentId: payment.id,
            amountMinor: payment.amountMinor,
            currency: payment.currency,
          });
          invoicesChanged();
        } else if (payment.status === "declined") {
          await invoices.recordOutcome(payload.invoiceId, payload.idempotencyKey, {
            kind: "declined",
            reason: payment.declineReason ?? "declined",
          });
          invoicesChanged();
        }
        return;
      }
      case "rejected":
        logger.warn({ invoiceId: payload.invoiceId, reason: result.reason }, "payment refused by payment-provider");
        await invoices.recordOutcome(payload.invoiceId, payload.idempotencyKey, {
          kind: "refused",
          reason: result.reason,
        });
        invoicesChanged();
        return;
      case "unavailable":
        throw new Error(result.reason);
    }
  }

  return {
    queue: PAYMENT_QUEUE,
    payload: PaymentRequested,
    async handle({ payload }) {
      await record(payload, await provider.createPayment(payload));
    },
    handleBatch(jobs) {
      return handleInChunks(jobs, CREATE_PAYMENTS_BATCH_LIMIT, async (chunk) => {
        const answer = await provider.createPayments(chunk.map((job) => job.payload));
        if (answer.kind === "unavailable") throw new RetryBatchLaterError(answer.reason);
        if (answer.kind === "refused") throw new Error(answer.reason);
        await Promise.all(chunk.map((job, i) => record(job.payload, answer.results[i] as PaymentCallResult)));
      });
    },
    async onParked(job, reason, tx: Queryable) {
      if (job.dedupeKey.includes(RECHECK_MARK)) {
        // Only a second look at a payment the provider already accepted: the invoice stays pending, and the next
        // sweep looks again. Failing it would offer the same key to pay while its first request is done.
        logger.warn({ invoiceId: job.payload.invoiceId, reason }, "payment recheck gave up; the next sweep retries");
        return;
      }
      await new InvoicesRepository(tx).recordOutcome(job.payload.invoiceId, job.payload.idempotencyKey, {
        kind: "unknown",
        reason: `payment-provider unavailable after ${job.attempt} attempts: ${reason}`,
      });
      // Not committed yet: other readers see it by the version check within the cache's check interval.
      invoicesChanged();
    },
  };
}
