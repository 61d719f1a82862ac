import { randomUUID } from "node:crypto";
import type { CreateInvoiceInput, Invoice, PayResult } from "@invoicing/shared/contract";
import type { Logger } from "@invoicing/shared/platform";
import { paymentIdempotencyKey, SEED_INVOICES } from "./domain/invoice.js";
import type { PaymentProviderClient } from "./payments/payment-provider-client.js";
import type { InvoicesRepository, PaymentClaim } from "./store/invoices-repository.js";

export class InvoiceNotFoundError extends Error {
  constructor(id: string) {
    super(`invoice ${id} not found`);
  }
}

type ClaimOutcome = "paid" | "failed" | "pending";

/** The one implementation behind both the tRPC procedures and the legacy REST routes. */
export class InvoicesService {
  constructor(
    private readonly repository: InvoicesRepository,
    private readonly provider: PaymentProviderClient,
    private readonly logger: Logger,
    private readonly concurrency: number,
  ) {}

  list(): Promise<Invoice[]> {
    return this.repository.list();
  }

  async get(id: string): Promise<Invoice> {
    const invoice = await this.repository.get(id);
    if (invoice === undefined) throw new InvoiceNotFoundError(id);
    return invoice;
  }

  create(input: CreateInvoiceInput): Promise<Invoice> {
    return this.repository.create({ ...input, id: input.id ?? randomUUID() });
  }

  seed(): Promise<void> {
    return this.repository.insertMissing(SEED_INVOICES);
  }

  /** Pays every unpaid (or failed, or still pending) invoice. */
  async payAll(): Promise<PayResult> {
    return this.payClaims(await this.repository.claimForPayment());
  }

  async pay(id: string): Promise<Invoice> {
    const invoice = await this.get(id);
    if (invoice.status !== "paid") await this.payClaims(await this.repository.claimForPayment(id));
    return this.get(id);
  }

  private async payClaims(claims: PaymentClaim[]): Promise<PayResult> {
    const outcomes = await mapWithConcurrency(claims, this.concurrency, (claim) => this.payOne(claim));
    const count = (outcome: ClaimOutcome) => outcomes.filter((o) => o === outcome).length;
    return { started: claims.length, paid: count("paid"), failed: count("failed"), pending: count("pending") };
  }

  private async payOne(claim: PaymentClaim): Promise<ClaimOutcome> {
    const result = await this.provider.createPayment({
      idempotencyKey: paymentIdempotencyKey(claim.invoiceId, claim.attempt),
      invoiceId: claim.invoiceId,
      amountMinor: claim.amountMinor,
      currency: claim.currency,
    });
    switch (result.kind) {
      case "payment": {
        const { payment } = result;
        if (payment.status === "succeeded") {
          await this.repository.settle(claim, { status: "paid", paymentId: payment.id });
          return "paid";
        }
        if (payment.status === "declined") {
          await this.repository.settle(claim, { status: "failed", reason: payment.declineReason ?? "declined" });
          return "failed";
        }
        return "pending";
      }
      case "rejected":
        this.logger.warn({ invoiceId: claim.invoiceId, reason: result.reason }, "payment rejected");
        await this.repository.settle(claim, { status: "failed", reason: result.reason });
        return "failed";
      case "unavailable":
        this.logger.warn(
          { invoiceId: claim.invoiceId, reason: result.reason },
          "payment outcome unknown, left pending",
        );
        return "pending";
    }
  }
}

async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
