import { type CreatePaymentInput, CreatePaymentsOutput, type Payment } from "@invoicing/shared/contract";
import { createHttpFetch, currentRequestId, isRefusal, REQUEST_ID_HEADER } from "@invoicing/shared/platform";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import type { PaymentProviderRouter } from "payment-provider/trpc";

export type PaymentCallResult =
  | { kind: "payment"; payment: Payment }
  /** The provider refused the request itself (4xx): retrying the same request cannot succeed. */
  | { kind: "rejected"; reason: string }
  /** No answer, a timeout or a 5xx: the outcome is unknown and the same request may be retried. */
  | { kind: "unavailable"; reason: string };

/** The answer to several payments sent together. */
export type PaymentBatchResult =
  /** One per input, in order: each a payment or that item's refusal (a reused key). */
  | { kind: "results"; results: (PaymentCallResult & { kind: "payment" | "rejected" })[] }
  /** The call as a whole was refused (4xx): nothing is known per item; sent one by one, each gets its own answer. */
  | { kind: "refused"; reason: string }
  /** No answer, a timeout or a 5xx: nothing is known per item; the same call may be retried later. */
  | { kind: "unavailable"; reason: string };

export interface PaymentProviderClient {
  createPayment(input: CreatePaymentInput): Promise<PaymentCallResult>;
  /** At most CREATE_PAYMENTS_BATCH_LIMIT inputs. */
  createPayments(inputs: readonly CreatePaymentInput[]): Promise<PaymentBatchResult>;
}

export interface PaymentProviderClientOptions {
  baseUrl: string;
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** The typed tRPC client invoice-app uses in production; contract tests run this same module. */
export function createPaymentProviderClient(options: PaymentProviderClientOptions): PaymentProviderClient {
  const baseFetch = options.fetch ?? createHttpFetch();
  const client = createTRPCClient<PaymentProviderRouter>({
    links: [
      httpLink({
        url: `${options.baseUrl}/trpc`,
        headers: () => {
          const requestId = currentRequestId();
          return requestId === undefined ? {} : { [REQUEST_ID_HEADER]: requestId };
        },
        fetch: (url, init) => baseFetch(url, { ...init, signal: AbortSignal.timeout(options.timeoutMs) }),
      }),
    ],
  });

  return {
    async createPayment(input) {
      try {
        return { kind: "payment", payment: await client.payments.create.mutate(input) };
      } catch (error) {
        return classify(error);
      }
    },
    async createPayments(inputs) {
      let answer: unknown;
      try {
        answer = await client.payments.createBatch.mutate({ payments: [...inputs] });
      } catch (error) {
        const failure = classify(error);
        return { kind: failure.kind === "rejected" ? "refused" : "unavailable", reason: failure.reason };
      }
      // An answer that is not the contract's (or not for these payments, in this order) tells nothing per payment:
      // they go one by one.
      const parsed = CreatePaymentsOutput.safeParse(answer);
      const results = parsed.success ? parsed.data.results : [];
      const matches =
        results.length === inputs.length &&
        results.every(
          (item, i) => item.result !== "payment" || item.payment.idempotencyKey === inputs[i]?.idempotencyKey,
        );
      if (!matches) {
        return {
          kind: "refused",
          reason: `payment-provider's createBatch answer does not fit the ${inputs.length} payments sent`,
        };
      }
      return {
        kind: "results",
        results: results.map((item) =>
          item.result === "payment"
            ? { kind: "payment", payment: item.payment }
            : { kind: "rejected", reason: `payment-provider answered 409: ${item.message}` },
        ),
      };
    },
  };
}

function classify(error: unknown): PaymentCallResult & { kind: "rejected" | "unavailable" } {
  if (error instanceof TRPCClientError) {
    const status = (error.data as { httpStatus?: unknown } | undefined)?.httpStatus;
    if (typeof status === "number" && isRefusal(status)) {
      return { kind: "rejected", reason: `payment-provider answered ${status}: ${error.message}` };
    }
    return { kind: "unavailable", reason: `payment-provider unavailable: ${error.message}` };
  }
  return { kind: "unavailable", reason: `payment-provider call failed: ${(error as Error).message}` };
}
