import { isKnownCurrency, LegacyCreateInvoiceBody, majorToMinor } from "@invoicing/shared/contract";
import {
  type FastQueries,
  type FastRoutes,
  HttpError,
  parseBody,
  type RestResponse,
  type Routes,
} from "@invoicing/shared/platform";
import { toLegacyInvoice } from "../domain/invoice.js";
import type { InvoicesService } from "../invoices-service.js";
import type { InvoiceListSnapshot } from "../store/invoice-list-cache.js";
import { InvoiceExistsError } from "../store/invoices-repository.js";

function waitMsFrom(url: URL): number {
  const raw = url.searchParams.get("waitMs");
  if (raw === null) return 0;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value > 600_000) {
    throw new HttpError(400, "waitMs: must be a whole number of milliseconds up to 600000");
  }
  return value;
}

const legacyResponses = new WeakMap<InvoiceListSnapshot, RestResponse>();
const legacyList = (snapshot: InvoiceListSnapshot): RestResponse => {
  let response = legacyResponses.get(snapshot);
  if (response === undefined) {
    response = { status: 200, body: snapshot.legacyJson };
    legacyResponses.set(snapshot, response);
  }
  return response;
};

/** The original REST API, kept wire-compatible for existing clients and scripts. */
export function createRoutes(invoices: InvoicesService): Routes {
  return {
    "/invoices": {
      // Usually answered by invoiceFastRoutes; this runs when the cache holds no confirmed list.
      GET: () => {
        const snapshot = invoices.listSnapshot();
        return snapshot instanceof Promise ? snapshot.then(legacyList) : legacyList(snapshot);
      },
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
      /** 202 while payments of the batch are still pending, 200 once none is (`?waitMs=` blocks until then). */
      POST: async (request) => {
        const result = await invoices.payAll(waitMsFrom(request.url));
        return { status: result.pending > 0 ? 202 : 200, body: result };
      },
    },
  };
}

/** `GET /invoices` from the cached, already serialized list while it is current (see FastRoutes). */
export function invoiceFastRoutes(invoices: InvoicesService): FastRoutes {
  return {
    "/invoices": () => {
      const snapshot = invoices.cachedListSnapshot();
      return snapshot === undefined ? undefined : legacyList(snapshot);
    },
  };
}

/** `invoices.list` as the bytes tRPC would send, from the cached list while it is current (see FastQueries). */
export function invoiceFastQueries(invoices: InvoicesService): FastQueries {
  return { "invoices.list": () => invoices.cachedListSnapshot()?.trpcJson };
}
