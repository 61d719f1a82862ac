import { postJson, request, testStores, trpc, waitFor } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type StartedProvider, startProvider } from "../support.js";

describe.each(testStores())("payment-provider HTTP API on $name", (store) => {
  let provider: StartedProvider;
  beforeAll(async () => {
    provider = await startProvider(store);
  });
  afterAll(() => provider?.stop());

  it("pays with the original body and answers 200 {id}", async () => {
    const response = await postJson(provider.url, "/payments/pay", { id: "I1", value: 12.15, currency: "EUR" });
    expect(response).toMatchObject({ status: 200, body: { id: "I1" } });
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  });

  // The original service's 400 cases, then the stricter ones; each answers {"error": "..."} naming the field.
  it.each([
    ["malformed JSON", "{not json", /not valid JSON/],
    ["an empty body", "", /empty/],
    ["an empty id", JSON.stringify({ id: "", value: 1, currency: "EUR" }), /^id: /],
    ["a zero value", JSON.stringify({ id: "Z", value: 0, currency: "EUR" }), /^value: /],
    ["an empty currency", JSON.stringify({ id: "Z", value: 1, currency: "" }), /^currency: /],
    ["a negative value", JSON.stringify({ id: "Z", value: -1, currency: "EUR" }), /^value: /],
    ["an unknown currency", JSON.stringify({ id: "Z", value: 1, currency: "ZZZ" }), /^currency: /],
    ["too many decimals", JSON.stringify({ id: "Z", value: 1.001, currency: "EUR" }), /^value: /],
    ["a string value", JSON.stringify({ id: "Z", value: "1", currency: "EUR" }), /^value: /],
    ["a missing id", JSON.stringify({ value: 1, currency: "EUR" }), /^id: /],
    ["a JSON array", "[]", /^body: /],
  ])("answers 400 for %s", async (_case, body, message) => {
    const response = await request(provider.url, "/payments/pay", { method: "POST", body });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: expect.stringMatching(message) });
  });

  it("treats a repeated legacy payment as the same payment, a changed one as a conflict", async () => {
    const body = { id: "L2", value: 5, currency: "GBP" };
    expect((await postJson(provider.url, "/payments/pay", body)).status).toBe(200);
    expect((await postJson(provider.url, "/payments/pay", body)).status).toBe(200);
    const conflict = await postJson(provider.url, "/payments/pay", { ...body, value: 6 });
    expect(conflict.status).toBe(409);
    const ledger = (await request(provider.url, "/payments")).body as { invoiceId: string }[];
    expect(ledger.filter((p) => p.invoiceId === "L2")).toHaveLength(1);
  });

  it("creates a payment once per idempotency key over tRPC and reports a conflicting reuse", async () => {
    const input = { idempotencyKey: "k-1", invoiceId: "T1", amountMinor: 1025, currency: "GBP" };
    const first = await trpc(provider.url, "payments.create", input);
    expect(first.status).toBe(200);
    const payment = (first.body as { result: { data: Record<string, unknown> } }).result.data;
    expect(payment).toMatchObject({ ...input, status: "processing" });
    const replay = await trpc(provider.url, "payments.create", input);
    expect((replay.body as { result: { data: { id: unknown } } }).result.data.id).toEqual(payment.id);
    const conflict = await trpc(provider.url, "payments.create", { ...input, amountMinor: 1 });
    expect(conflict.status).toBe(409);
    const settled = await waitFor(async () => {
      const fetched = await trpc(provider.url, "payments.get", { id: payment.id }, "query");
      const data = (fetched.body as { result: { data: Record<string, unknown> } }).result.data;
      return data.status === "succeeded" ? data : undefined;
    });
    expect(settled).toEqual({ ...payment, status: "succeeded" });
    expect((await trpc(provider.url, "payments.get", { id: "nope" }, "query")).status).toBe(404);
  });

  it("lists the ledger with the documented fields", async () => {
    const ledger = (await request(provider.url, "/payments")).body as Record<string, unknown>[];
    expect(ledger.length).toBeGreaterThan(0);
    for (const payment of ledger) {
      expect(Object.keys(payment)).toEqual(
        expect.arrayContaining(["id", "invoiceId", "amountMinor", "currency", "status", "idempotencyKey", "createdAt"]),
      );
    }
  });

  it("serves health, readiness and metrics", async () => {
    expect((await request(provider.url, "/healthz")).status).toBe(200);
    expect(await request(provider.url, "/readyz")).toMatchObject({ status: 200, body: { ready: true } });
    const metrics = await request(provider.url, "/metrics");
    expect(metrics.body).toMatch(/http_requests_total\{method="POST",route="\/payments\/pay",status="200"/);
    expect(metrics.body).toMatch(/http_request_duration_seconds_bucket/);
    expect(metrics.body).toMatch(/process_cpu_user_seconds_total/);
  });

  it("answers 404 and 405 as JSON", async () => {
    expect(await request(provider.url, "/nope")).toMatchObject({ status: 404, body: { error: expect.any(String) } });
    expect(await request(provider.url, "/payments/pay")).toMatchObject({ status: 405 });
  });
});
