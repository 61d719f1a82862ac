import http from "node:http";
import type { AddressInfo } from "node:net";
import { type LegacyInvoice, LegacyInvoice as LegacyInvoiceSchema } from "@invoicing/shared/contract";
import { postJson, request, testStores, trpc, waitFor } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as z from "zod";
import { type Stack, startInvoices, startStack } from "../support.js";

const legacyList = async (url: string): Promise<LegacyInvoice[]> => {
  const response = await request(url, "/invoices");
  expect(response.status).toBe(200);
  return z.array(LegacyInvoiceSchema.strict()).parse(response.body);
};

describe.each(testStores())("invoice-app HTTP API against the real payment-provider on $name", (store) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(store);
  });
  afterAll(() => stack?.stop());

  it("starts with the original seed, unpaid, in the original shape", async () => {
    expect(await legacyList(stack.invoices.url)).toEqual([
      { InvoiceId: "I1", Value: 12.15, Currency: "EUR", IsPaid: false },
      { InvoiceId: "I2", Value: 10.25, Currency: "GBP", IsPaid: false },
      { InvoiceId: "I3", Value: 66.13, Currency: "DKK", IsPaid: false },
    ]);
  });

  it("creates invoices from the legacy body and answers 201 in the legacy shape", async () => {
    const created = await postJson(stack.invoices.url, "/invoices", { InvoiceId: "N1", Value: 7.5, Currency: "EUR" });
    expect(created).toMatchObject({
      status: 201,
      body: { InvoiceId: "N1", Value: 7.5, Currency: "EUR", IsPaid: false },
    });
    const generated = await postJson(stack.invoices.url, "/invoices", { Value: 100, Currency: "JPY" });
    expect(generated.status).toBe(201);
    expect((generated.body as LegacyInvoice).InvoiceId).toMatch(/.+/);
    const duplicate = await postJson(stack.invoices.url, "/invoices", { InvoiceId: "N1", Value: 1, Currency: "EUR" });
    expect(duplicate).toMatchObject({ status: 409, body: { error: expect.stringMatching(/^InvoiceId: /) } });
  });

  it.each([
    [{ Value: 0, Currency: "EUR" }, /^Value: /],
    [{ Value: -3, Currency: "EUR" }, /^Value: /],
    [{ Value: 1.005, Currency: "EUR" }, /^Value: /],
    [{ Value: "12.15", Currency: "EUR" }, /^Value: /],
    [{ Value: 1, Currency: "EURO" }, /^Currency: /],
    [{ Value: 1, Currency: "XTS" }, /^Currency: /],
    [{ Value: 1 }, /^Currency: /],
    [{ Value: 1, Currency: "EUR", InvoiceId: "" }, /^InvoiceId: /],
    [{ Value: 1, Currency: "EUR", Extra: true }, /^body: /],
  ])("refuses %o with 400 naming the field", async (body, message) => {
    const response = await postJson(stack.invoices.url, "/invoices", body);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringMatching(message) });
  });

  it("pays every unpaid invoice once; the provider ledger agrees", async () => {
    const response = await request(stack.invoices.url, "/invoices/pay", { method: "POST" });
    expect(response.status).toBeGreaterThanOrEqual(200);
    expect(response.status).toBeLessThan(300);
    const invoices = await waitFor(
      async () => {
        const list = await legacyList(stack.invoices.url);
        return list.every((invoice) => invoice.IsPaid) ? list : undefined;
      },
      { what: "every invoice to be paid" },
    );
    const ledger = (await request(stack.provider.url, "/payments")).body as {
      invoiceId: string;
      amountMinor: number;
      currency: string;
      status: string;
    }[];
    const succeeded = ledger.filter((payment) => payment.status === "succeeded");
    expect(succeeded.map((p) => p.invoiceId).sort()).toEqual(invoices.map((i) => i.InvoiceId).sort());
    expect(succeeded.find((p) => p.invoiceId === "I1")).toMatchObject({ amountMinor: 1215, currency: "EUR" });
    // paying again starts nothing and charges nothing
    await request(stack.invoices.url, "/invoices/pay", { method: "POST" });
    const after = (await request(stack.provider.url, "/payments")).body as unknown[];
    expect(after).toHaveLength(ledger.length);
  });

  it("offers the same operations over tRPC", async () => {
    const created = await trpc(stack.invoices.url, "invoices.create", { id: "T9", amountMinor: 4200, currency: "DKK" });
    expect(created.status).toBe(200);
    const got = await trpc(stack.invoices.url, "invoices.get", { id: "T9" }, "query");
    expect((got.body as { result: { data: unknown } }).result.data).toMatchObject({
      id: "T9",
      amountMinor: 4200,
      currency: "DKK",
      status: "unpaid",
    });
    const paid = await trpc(stack.invoices.url, "invoices.pay", { id: "T9" });
    expect(paid.status).toBe(200);
    await waitFor(async () => {
      const invoice = await trpc(stack.invoices.url, "invoices.get", { id: "T9" }, "query");
      return (invoice.body as { result: { data: { status: string } } }).result.data.status === "paid"
        ? true
        : undefined;
    });
    const missing = await trpc(stack.invoices.url, "invoices.get", { id: "none" }, "query");
    expect(missing.status).toBe(404);
    const list = await trpc(stack.invoices.url, "invoices.list", undefined, "query");
    expect((list.body as { result: { data: unknown[] } }).result.data.length).toBeGreaterThan(3);
  });

  it("names the field in tRPC input errors", async () => {
    const response = await trpc(stack.invoices.url, "invoices.create", { amountMinor: 1.5, currency: "EUR" });
    expect(response.status).toBe(400);
    expect((response.body as { error: { message: string } }).error.message).toMatch(/^amountMinor: /);
  });
});

describe("invoice-app when payment-provider fails", () => {
  const [store] = testStores();
  let invoicesUrl: string;
  let stop: () => Promise<void>;
  const seenRequestIds: string[] = [];
  let answer: { status: number; body: unknown } = { status: 500, body: { error: "boom" } };

  beforeAll(async () => {
    if (store === undefined) throw new Error("no test store");
    // A stand-in provider that records headers and answers what the test sets: 5xx, 4xx or silence.
    const fake = http.createServer((req, res) => {
      seenRequestIds.push(String(req.headers["x-request-id"]));
      req.resume();
      if (answer.status === 0) return; // never answers: the client must time out
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    const invoices = await startInvoices(store, fakeUrl, { PAYMENT_PROVIDER_TIMEOUT_MS: "300" });
    invoicesUrl = invoices.url;
    stop = async () => {
      await invoices.stop();
      fake.closeAllConnections();
      await new Promise((resolve) => fake.close(resolve));
    };
  });
  afterAll(() => stop?.());

  const statusOf = async (id: string) => {
    const response = await trpc(invoicesUrl, "invoices.get", { id }, "query");
    return (response.body as { result: { data: { status: string } } }).result.data.status;
  };

  it("never marks an invoice paid on a 5xx, and forwards the request id", async () => {
    answer = { status: 500, body: { error: { message: "boom", code: -32603, data: { httpStatus: 500 } } } };
    await request(invoicesUrl, "/trpc/invoices.pay", {
      method: "POST",
      body: JSON.stringify({ id: "I1" }),
      headers: { "content-type": "application/json", "x-request-id": "trace-me-123" },
    });
    expect(await statusOf("I1")).not.toBe("paid");
    expect(seenRequestIds).toContain("trace-me-123");
  });

  it("never marks an invoice paid when the provider does not answer in time", async () => {
    answer = { status: 0, body: undefined };
    await trpc(invoicesUrl, "invoices.pay", { id: "I2" });
    expect(await statusOf("I2")).not.toBe("paid");
  });

  it("never marks an invoice paid when the provider refuses the payment", async () => {
    answer = { status: 400, body: { error: { message: "bad", code: -32600, data: { httpStatus: 400 } } } };
    await trpc(invoicesUrl, "invoices.pay", { id: "I3" });
    expect(await statusOf("I3")).not.toBe("paid");
    expect((await legacyList(invoicesUrl)).every((invoice) => !invoice.IsPaid)).toBe(true);
  });
});
