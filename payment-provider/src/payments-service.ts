import { randomUUID } from "node:crypto";
import type { CreatePaymentInput, Payment } from "@invoicing/shared/contract";
import type { SettlementPolicy } from "./domain/settlement.js";
import type { PaymentsRepository } from "./store/payments-repository.js";

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

/** The one implementation behind both the tRPC procedures and the legacy REST route. */
export class PaymentsService {
  constructor(
    private readonly repository: PaymentsRepository,
    private readonly settlement: SettlementPolicy,
  ) {}

  /** Same key and payload returns the stored payment; same key with another payload is a conflict. */
  async create(input: CreatePaymentInput): Promise<Payment> {
    const existing = await this.repository.findByIdempotencyKey(input.idempotencyKey);
    if (existing !== undefined) return this.replay(existing, input);
    const decision = this.settlement.decide();
    const { payment, created } = await this.repository.insertOnce({
      ...input,
      id: `pay_${randomUUID()}`,
      status: decision.outcome,
      declineReason: decision.outcome === "declined" ? decision.reason : null,
    });
    return created ? payment : this.replay(payment, input);
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
