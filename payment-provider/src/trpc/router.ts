import {
  CreatePaymentInput,
  CreatePaymentsInput,
  CreatePaymentsOutput,
  Payment,
  PaymentRef,
} from "@invoicing/shared/contract";
import { createTrpc } from "@invoicing/shared/platform";
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { IdempotencyConflictError, PaymentNotFoundError, type PaymentsService } from "../payments-service.js";

const t = createTrpc();

function toTrpcError(error: unknown): never {
  if (error instanceof IdempotencyConflictError) throw new TRPCError({ code: "CONFLICT", message: error.message });
  if (error instanceof PaymentNotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: error.message });
  throw error;
}

export function createPaymentProviderRouter(payments: PaymentsService) {
  return t.router({
    payments: t.router({
      create: t.procedure
        .input(CreatePaymentInput)
        .output(Payment)
        .mutation(({ input }) => payments.create(input).catch(toTrpcError)),
      /** `create` for several payments in one call and one statement; each item is answered on its own. */
      createBatch: t.procedure
        .input(CreatePaymentsInput)
        .output(CreatePaymentsOutput)
        .mutation(async ({ input }) => ({ results: await payments.createBatch(input.payments) })),
      get: t.procedure
        .input(PaymentRef)
        .output(Payment)
        .query(({ input }) => payments.get(input.id).catch(toTrpcError)),
      list: t.procedure.output(z.array(Payment)).query(() => payments.list()),
    }),
  });
}

export type PaymentProviderRouter = ReturnType<typeof createPaymentProviderRouter>;
