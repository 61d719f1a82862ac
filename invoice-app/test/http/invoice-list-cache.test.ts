import { createLogger, type ServiceApp } from "@invoicing/shared/platform";
import {
  postJson,
  request,
  serverStore,
  type TestDatabase,
  testStores,
  trpc,
  waitFor,
} from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startInvoiceApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { type StartedInvoiceApp, startInvoices } from "../support.js";

const NO_PROVIDER = "http://127.0.0.1:9";

const legacyIds = async (url: string) => {
  const response = await request(url, "/invoices");
  expect(response.status).toBe(200);
  return (response.body as { InvoiceId: string; Value: number }[]).map((invoice) => invoice.InvoiceId);
};

describe.each(testStores())("the cached invoice list on $name", (store) => {
  let invoices: StartedInvoiceApp;
  beforeAll(async () => {
    invoices = await startInvoices(store, NO_PROVIDER);
  });
  afterAll(() => invoices?.stop());

  it("shows a change made through this replica on the very next read", async () => {
    expect(await legacyIds(invoices.url)).toEqual(["I1", "I2", "I3"]);
    expect((await postJson(invoices.url, "/invoices", { InvoiceId: "C1", Value: 1, Currency: "EUR" })).status).toBe(
      201,
    );
    expect(await legacyIds(invoices.url)).toEqual(["I1", "I2", "I3", "C1"]);
    expect((await trpc(invoices.url, "invoices.create", { id: "C2", amountMinor: 5, currency: "EUR" })).status).toBe(
      200,
    );
    const list = await trpc(invoices.url, "invoices.list", undefined, "query");
    expect((list.body as { result: { data: { id: string }[] } }).result.data.map((invoice) => invoice.id)).toContain(
      "C2",
    );
  });

  it("sees a change made straight in the database (another writer) within the check interval", async () => {
    await legacyIds(invoices.url); // cache the list
    await invoices.app.db.query("UPDATE invoices SET amount_minor = 4242 WHERE id = 'I1'");
    await waitFor(
      async () => {
        const response = await request(invoices.url, "/invoices");
        const i1 = (response.body as { InvoiceId: string; Value: number }[]).find(
          (invoice) => invoice.InvoiceId === "I1",
        );
        return i1?.Value === 42.42 ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: "the direct change to show" },
    );
  });

  it("answers a plain GET of invoices.list with the bytes and headers tRPC itself sends", async () => {
    const fast = await fetch(`${invoices.url}/trpc/invoices.list`);
    // A batched call is never answered from the cache: tRPC builds it, with the same procedure output.
    const batched = await fetch(`${invoices.url}/trpc/invoices.list?batch=1&input=${encodeURIComponent("{}")}`);
    expect(fast.status).toBe(200);
    expect(`[${await fast.text()}]`).toBe(await batched.text());
    expect(fast.headers.get("content-type")).toBe(batched.headers.get("content-type"));
    expect(fast.headers.get("vary")).toBe(batched.headers.get("vary"));
    expect(fast.headers.get("x-request-id")).toMatch(/.+/);
    const viaInput = await fetch(`${invoices.url}/trpc/invoices.list?input=${encodeURIComponent("null")}`);
    expect(viaInput.status).toBe(200);
  });

  it("answers from the cache with the caller's request id, on both APIs", async () => {
    await legacyIds(invoices.url); // cache the list
    for (const path of ["/invoices", "/trpc/invoices.list"]) {
      const response = await fetch(`${invoices.url}${path}`, { headers: { "x-request-id": `trace-${path.length}` } });
      expect(response.status).toBe(200);
      expect(response.headers.get("x-request-id")).toBe(`trace-${path.length}`);
    }
  });

  it("still records requests it answers from the cache in the metrics", async () => {
    await request(invoices.url, "/invoices");
    const metrics = await request(invoices.url, "/metrics");
    expect(metrics.body).toMatch(
      /http_requests_total\{method="GET",route="\/invoices",status="200",service="invoice-app"\} \d+/,
    );
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_bucket\{le="0\.001",[^}]*method="GET",route="\/invoices"/,
    );
    expect(metrics.body).toMatch(
      /http_request_duration_seconds_count\{[^}]*method="GET",route="\/trpc\/invoices\.list"/,
    );
  });
});

const server = serverStore();

describe.runIf(server)("the cached invoice list across two replicas on one PostgreSQL database", () => {
  let database: TestDatabase;
  const apps: ServiceApp[] = [];
  beforeAll(async () => {
    if (server === undefined) return;
    database = await server.create();
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({
        PORT: "0",
        HOST: "127.0.0.1",
        LOG_LEVEL: "silent",
        PAYMENT_PROVIDER_URL: NO_PROVIDER,
        DATABASE_URL: database.url ?? "",
      });
      apps.push(await startInvoiceApp(config, { logger: createLogger("invoice-app", "silent") }));
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await database?.drop();
  });

  it("shows a replica the invoices another replica created, paid or changed", async () => {
    const [a, b] = apps;
    if (a === undefined || b === undefined) throw new Error("replicas did not start");
    expect(await legacyIds(b.url)).toEqual(["I1", "I2", "I3"]); // b now holds the list
    expect((await postJson(a.url, "/invoices", { InvoiceId: "R1", Value: 3, Currency: "EUR" })).status).toBe(201);
    await waitFor(async () => ((await legacyIds(b.url)).includes("R1") ? true : undefined), {
      timeoutMs: 5_000,
      intervalMs: 20,
      what: "replica b to list R1",
    });
    await a.db.query("UPDATE invoices SET status = 'paid' WHERE id = 'R1'");
    await waitFor(
      async () => {
        const response = await request(b.url, "/invoices");
        const r1 = (response.body as { InvoiceId: string; IsPaid: boolean }[]).find((i) => i.InvoiceId === "R1");
        return r1?.IsPaid === true ? true : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 20, what: "replica b to show R1 paid" },
    );
  });
});
