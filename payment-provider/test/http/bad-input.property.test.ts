import {
  badAmount,
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
import { type StartedProvider, startProvider } from "../support.js";

const RUNS = 600;
const [store] = testStores();

describe("payment-provider refuses bad input with a 4xx and records no payment (property)", () => {
  let provider: StartedProvider;
  beforeAll(async () => {
    if (store === undefined) throw new Error("no test store");
    provider = await startProvider(store);
  });
  afterAll(async () => {
    expect((await request(provider.url, "/payments")).body).toEqual([]);
    await provider.stop();
  });

  const expect4xx = (status: number, body: unknown) => {
    expect(status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    expect(status, JSON.stringify(body)).toBeLessThan(500);
  };

  it("POST /payments/pay: malformed, non-object and broken legacy bodies", async () => {
    const legacyBody = brokenBody(
      { id: "P1", value: 12.15, currency: "EUR" },
      { id: badId, value: badAmount, currency: badCurrency },
      { required: ["id", "value", "currency"], strict: false },
    ).map((body) => JSON.stringify(body));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformedJson,
          nonObjectJson.map((v) => JSON.stringify(v)),
          legacyBody,
        ),
        async (text) => {
          const response = await request(provider.url, "/payments/pay", { method: "POST", body: text });
          expect4xx(response.status, response.body);
          expect(response.body).toEqual({ error: expect.any(String) });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("payments.create over tRPC: broken inputs", async () => {
    const input = fc.oneof(
      nonObjectJson,
      brokenBody(
        { idempotencyKey: "k", invoiceId: "I1", amountMinor: 1215, currency: "EUR" },
        {
          idempotencyKey: fc.oneof(badId.filter((v) => typeof v !== "string" || v === "" || v.includes(" "))),
          invoiceId: badId,
          amountMinor: badMinorAmount,
          currency: badCurrency,
        },
        { required: ["idempotencyKey", "invoiceId", "amountMinor", "currency"], strict: true },
      ),
    );
    await fc.assert(
      fc.asyncProperty(input, async (value) => {
        const response = await trpc(provider.url, "payments.create", value);
        expect4xx(response.status, response.body);
      }),
      { numRuns: RUNS },
    );
  });

  it("refuses bodies over the size limit with 413", async () => {
    const huge = JSON.stringify({ id: "x".repeat(2 * 1024 * 1024), value: 1, currency: "EUR" });
    expect((await request(provider.url, "/payments/pay", { method: "POST", body: huge })).status).toBe(413);
  });
});
