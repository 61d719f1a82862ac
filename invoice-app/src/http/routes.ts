import { isKnownCurrency, LegacyCreateInvoiceBody, majorToMinor } from "@invoicing/shared/contract";
import { HttpError, parseBody, type Routes } from "@invoicing/shared/platform";
import { toLegacyInvoice } from "../domain/invoice.js";
import type { InvoicesService } from "../invoices-service.js";
import { InvoiceExistsError } from "../store/invoices-repository.js";

/** The original REST API, kept wire-compatible for existing clients and scripts. */
export function createRoutes(invoices: InvoicesService): Routes {
  return {
    "/invoices": {
      GET: async () => ({ status: 200, body: (await invoices.list()).map(toLegacyInvoice) }),
      POST: async (request) => {
        const body = parseBody(LegacyCreateInvoiceBody, await request.json());
        if (!isKnownCurrency(body.Currency))
          throw new HttpError(400, "Currency: is not a known ISO 4217 currency code");
        const amount = majorToMinor(body.Value, body.Currency);
        if (!amount.ok) throw new HttpError(400, `Value: ${amount.reason}`);
        try {
          const invoice = await invoices.create({
            ...(body.InvoiceId === undefined ? {} : { id: body.InvoiceId }),
            amountMinor: amount.amountMinor,
            currency: body.Currency,
          });
          return { status: 201, body: toLegacyInvoice(invoice) };
        } catch (error) {
          if (error instanceof InvoiceExistsError) throw new HttpError(409, `InvoiceId: ${error.message}`);
          throw error;
        }
      },
    },
    "/invoices/pay": {
      POST: async () => ({ status: 200, body: await invoices.payAll() }),
    },
  };
}
