import { randomUUID } from "node:crypto";
import type { CreatePaymentInput, Payment } from "@invoicing/shared/contract";
import type { Database, JobSpec } from "@invoicing/shared/platform";
import { PaymentsRepository } from "./store/payments-repository.js";

export class IdempotencyConflictError extends Error {
  constructor(key: string) {
    super(`idempotencyKey ${key} was already used for a different payment (invoiceId, amountMinor or currency differ)`);
  }
}

export class PaymentNotFoundError extends Error {
  constructor(id: string) {
    super(`payment ${id} not found`);
  }
}

const samePayload = (payment: Payment, input: CreatePaymentInput) =>
  payment.invoiceId === input.invoiceId &&
  payment.amountMinor === input.amountMinor &&
  payment.currency === input.currency;

export interface PaymentsServiceOptions {
  /** The job that settles a new payment, queued in the statement that creates it (transactional outbox). */
  settlementJob(paymentId: string): JobSpec;
  /** Called after a new payment committed (wakes the settlement worker). */
  afterCreate?(): void;
}

/** The one implementation behind both the tRPC procedures and the legacy REST route. */
export class PaymentsService {
  private readonly repository: PaymentsRepository;

  constructor(
    db: Database,
    private readonly options: PaymentsServiceOptions,
  ) {
    this.repository = new PaymentsRepository(db);
  }

  /**
   * Records the payment as processing and queues its settlement, atomically. Same key and payload returns the
   * stored payment (whatever its state now); same key with another payload is a conflict.
   */
  async create(input: CreatePaymentInput): Promise<Payment> {
    const id = `pay_${randomUUID()}`;
    const { payment, created } = await this.repository.insertOnceWithJob(
      { ...input, id, status: "processing", declineReason: null },
      this.options.settlementJob(id),
    );
    if (created) this.options.afterCreate?.();
    return created ? payment : this.replay(payment, input);
  }

  /** Polls until the payment is settled or the deadline passes; returns its latest state. */
  async waitUntilSettled(id: string, timeoutMs: number): Promise<Payment> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const payment = await this.get(id);
      if (payment.status !== "processing" || Date.now() >= deadline) return payment;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async get(id: string): Promise<Payment> {
    const payment = await this.repository.findById(id);
    if (payment === undefined) throw new PaymentNotFoundError(id);
    return payment;
  }

  list(): Promise<Payment[]> {
    return this.repository.list();
  }

  private replay(payment: Payment, input: CreatePaymentInput): Payment {
    if (!samePayload(payment, input)) throw new IdempotencyConflictError(input.idempotencyKey);
    return payment;
  }
}
