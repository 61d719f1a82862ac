import { CreateInvoiceInput, Invoice, InvoiceRef, PayResult } from "@invoicing/shared/contract";
import { createTrpc } from "@invoicing/shared/platform";
import { TRPCError } from "@trpc/server";
import { z } from "zod";
import { InvoiceNotFoundError, type InvoicesService } from "../invoices-service.js";
import { InvoiceExistsError } from "../store/invoices-repository.js";

const t = createTrpc();

function toTrpcError(error: unknown): never {
  if (error instanceof InvoiceNotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: error.message });
  if (error instanceof InvoiceExistsError) throw new TRPCError({ code: "CONFLICT", message: `id: ${error.message}` });
  throw error;
}

export function createInvoiceAppRouter(invoices: InvoicesService) {
  return t.router({
    invoices: t.router({
      list: t.procedure.output(z.array(Invoice)).query(() => invoices.list()),
      get: t.procedure
        .input(InvoiceRef)
        .output(Invoice)
        .query(({ input }) => invoices.get(input.id).catch(toTrpcError)),
      create: t.procedure
        .input(CreateInvoiceInput)
        .output(Invoice)
        .mutation(({ input }) => invoices.create(input).catch(toTrpcError)),
      pay: t.procedure
        .input(InvoiceRef)
        .output(Invoice)
        .mutation(({ input }) => invoices.pay(input.id).catch(toTrpcError)),
      payAll: t.procedure.output(PayResult).mutation(() => invoices.payAll()),
    }),
  });
}

export type InvoiceAppRouter = ReturnType<typeof createInvoiceAppRouter>;
