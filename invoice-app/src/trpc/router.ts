import { CreateInvoiceInput, Invoice, InvoiceId, PayResult } from "@invoicing/shared/contract";
import { createTrpc } from "@invoicing/shared/platform";
import { TRPCError } from "@trpc/server";
import * as z from "zod";
import { InvoiceNotFoundError, type InvoicesService } from "../invoices-service.js";
import type { InvoiceVersionWatch } from "../store/invoice-version-watch.js";
import { InvoiceExistsError } from "../store/invoices-repository.js";
import { invoiceChanges } from "./invoice-changes.js";

const t = createTrpc();

const WaitMs = z.number().int().nonnegative().max(600_000).optional();

function toTrpcError(error: unknown): never {
  if (error instanceof InvoiceNotFoundError) throw new TRPCError({ code: "NOT_FOUND", message: error.message });
  if (error instanceof InvoiceExistsError) throw new TRPCError({ code: "CONFLICT", message: `id: ${error.message}` });
  throw error;
}

export function createInvoiceAppRouter(invoices: InvoicesService, versions: InvoiceVersionWatch) {
  return t.router({
    invoices: t.router({
      list: t.procedure.output(z.array(Invoice)).query(() => invoices.list()),
      get: t.procedure
        .input(z.strictObject({ id: InvoiceId }))
        .output(Invoice)
        .query(({ input }) => invoices.get(input.id).catch(toTrpcError)),
      create: t.procedure
        .input(CreateInvoiceInput)
        .output(Invoice)
        .mutation(({ input }) => invoices.create(input).catch(toTrpcError)),
      /** Starts paying one invoice; with waitMs, answers once it settled or the wait ran out. */
      pay: t.procedure
        .input(z.strictObject({ id: InvoiceId, waitMs: WaitMs }))
        .output(Invoice)
        .mutation(({ input }) => invoices.pay(input.id, input.waitMs).catch(toTrpcError)),
      /** Starts paying every unpaid or failed invoice; with waitMs, answers once the batch settled or the wait ran out. */
      payAll: t.procedure
        .input(z.strictObject({ waitMs: WaitMs }).optional())
        .output(PayResult)
        .mutation(({ input }) => invoices.payAll(input?.waitMs)),
      /** Streams every invoice change (server-sent events), from `since` or from now. */
      onChange: t.procedure
        .input(z.strictObject({ since: z.iso.datetime().optional() }).optional())
        .subscription(({ input, signal }) =>
          invoiceChanges(invoices, versions, input?.since === undefined ? new Date() : new Date(input.since), signal),
        ),
    }),
  });
}

export type InvoiceAppRouter = ReturnType<typeof createInvoiceAppRouter>;
