import {
  badCurrency,
  badId,
  badMinorAmount,
  brokenBody,
  malformedJson,
  nonObjectJson,
  request,
  testStores,
  trpc,
} from "@invoicing/shared/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../support.js";

const RUNS = 600;
const [store] = testStores();

describe("invoice-app refuses bad input with a 4xx and changes nothing (property)", () => {
  let stack: Stack;
  let before: unknown;
  beforeAll(async () => {
    if (store === undefined) throw new Error("no test store");
    stack = await startStack(store);
    before = (await request(stack.invoices.url, "/invoices")).body;
  });
  afterAll(async () => {
    // state check after every property has run: not one invoice created, paid or changed
    expect((await request(stack.invoices.url, "/invoices")).body).toEqual(before);
    expect((await request(stack.provider.url, "/payments")).body).toEqual([]);
    await stack.stop();
  });

  const expect4xx = (status: number, body: unknown) => {
    expect(status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    expect(status, JSON.stringify(body)).toBeLessThan(500);
  };

  it("POST /invoices: malformed, non-object and broken legacy bodies", async () => {
    const legacyBody = brokenBody(
      { InvoiceId: "P1", Value: 12.15, Currency: "EUR" },
      { InvoiceId: badId, Value: badMinorAmount, Currency: badCurrency },
      { required: ["Value", "Currency"], strict: true },
    ).map((body) => JSON.stringify(body));
    const body = fc.oneof(
      malformedJson,
      nonObjectJson.map((v) => JSON.stringify(v)),
      legacyBody,
    );
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const response = await request(stack.invoices.url, "/invoices", { method: "POST", body: text });
        expect4xx(response.status, response.body);
        expect(response.body).toEqual({ error: expect.any(String) });
      }),
      { numRuns: RUNS },
    );
  });

  it("invoices.create over tRPC: broken inputs", async () => {
    const input = fc.oneof(
      nonObjectJson,
      brokenBody(
        { id: "P2", amountMinor: 1215, currency: "EUR" },
        { id: badId, amountMinor: badMinorAmount, currency: badCurrency },
        { required: ["amountMinor", "currency"], strict: true },
      ),
    );
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        const response = await trpc(stack.invoices.url, "invoices.create", value);
        expect4xx(response.status, response.body);
      }),
      { numRuns: RUNS },
    );
  });

  it("invoices.pay and invoices.get over tRPC: bad ids", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          badId.map((id) => ({ id })),
          nonObjectJson,
        ),
        async (value) => {
          const paid = await trpc(stack.invoices.url, "invoices.pay", value);
          expect4xx(paid.status, paid.body);
          const got = await trpc(stack.invoices.url, "invoices.get", value, "query");
          expect4xx(got.status, got.body);
        },
      ),
      { numRuns: RUNS / 2 },
    );
  });

  it("refuses bodies over the size limit with 413 on REST and tRPC", async () => {
    const huge = JSON.stringify({ Value: 1, Currency: "EUR", InvoiceId: "x".repeat(2 * 1024 * 1024) });
    expect((await request(stack.invoices.url, "/invoices", { method: "POST", body: huge })).status).toBe(413);
    const trpcHuge = JSON.stringify({ id: "x".repeat(2 * 1024 * 1024), amountMinor: 1, currency: "EUR" });
    const response = await request(stack.invoices.url, "/trpc/invoices.create", { method: "POST", body: trpcHuge });
    expect(response.status).toBe(413);
  });
});
