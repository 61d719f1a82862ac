import { randomUUID } from "node:crypto";
import type { CreatePaymentInput, CreatePaymentResult, Payment } from "@invoicing/shared/contract";
import { coalesce, type Database, isDataError, type JobSpec } from "@invoicing/shared/platform";
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

/** Payments created concurrently share one statement up to this many (a caller's worker pool is usually smaller). */
const CREATE_BATCH_LIMIT = 256;

/** The one implementation behind both the tRPC procedures and the legacy REST route. */
export class PaymentsService {
  private readonly repository: PaymentsRepository;
  /**
   * Records the payment as processing and queues its settlement, atomically. Same key and payload returns the
   * stored payment (whatever its state now); same key with another payload is a conflict.
   */
  readonly create: (input: CreatePaymentInput) => Promise<Payment>;

  constructor(
    db: Database,
    private readonly options: PaymentsServiceOptions,
  ) {
    this.repository = new PaymentsRepository(db);
    this.create = coalesce((inputs) => this.createEach(inputs), {
      maxBatchSize: CREATE_BATCH_LIMIT,
      splitOn: isDataError,
    });
  }

  /**
   * `create` for several payments in one statement, answered in order. A conflict is that item's answer; any other
   * failure (the store) fails the whole call, and none of it is stored.
   */
  async createBatch(inputs: readonly CreatePaymentInput[]): Promise<CreatePaymentResult[]> {
    return (await this.createEach(inputs)).map((answer) => {
      if (answer instanceof IdempotencyConflictError) return { result: "conflict", message: answer.message };
      if (answer instanceof Error) throw answer;
      return { result: "payment", payment: answer };
    });
  }

  private async createEach(inputs: readonly CreatePaymentInput[]): Promise<(Payment | Error)[]> {
    const payments = inputs.map((input) => ({
      ...input,
      id: `pay_${randomUUID()}`,
      status: "processing" as const,
      declineReason: null,
    }));
    let stored: Awaited<ReturnType<PaymentsRepository["insertEachOnce"]>>;
    try {
      stored = await this.repository.insertEachOnce(
        payments,
        new Map(payments.map(({ id }) => [id, this.options.settlementJob(id)])),
      );
    } catch (error) {
      // The insert may have committed before a later read failed: wake the settlement worker all the same.
      this.options.afterCreate?.();
      throw error;
    }
    if (stored.some(({ created }) => created)) this.options.afterCreate?.();
    return stored.map(({ payment, created }, i) => {
      const input = inputs[i] as CreatePaymentInput;
      if (created || samePayload(payment, input)) return payment;
      return new IdempotencyConflictError(input.idempotencyKey);
    });
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
}
