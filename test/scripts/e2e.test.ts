// scripts/e2e.sh against fake invoice-apps on 127.0.0.1: one that behaves, several that do not. The real services
// are not involved; this proves the script passes a correct deployment and fails a broken one with a clear reason.
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type FakeInvoiceApp, type FakeOptions, repoRoot, run, startFakeInvoiceApp, unusedPort } from "./lib.js";

const script = join(repoRoot, "scripts", "e2e.sh");
const fast = {
  ...process.env,
  E2E_READY_TIMEOUT: "10",
  E2E_PAY_TIMEOUT: "2",
  E2E_POLL_INTERVAL: "0.1",
  E2E_REQUEST_TIMEOUT: "2",
};

let fake: FakeInvoiceApp | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function e2eAgainst(options: FakeOptions) {
  fake = await startFakeInvoiceApp(options);
  return run("bash", [script, "--url", fake.url], { env: fast });
}

describe("scripts/e2e.sh", () => {
  it("passes against an invoice-app that becomes ready and pays asynchronously", async () => {
    const result = await e2eAgainst({ notReadyFor: 3, paysAfterMs: 300 });
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain("e2e PASSED: 3 invoices paid");
    expect(fake?.calls.filter((c) => c === "POST /invoices/pay")).toHaveLength(1);
    expect(fake?.calls.filter((c) => c === "GET /readyz").length).toBeGreaterThanOrEqual(4);
  });

  it("takes the URL from E2E_URL and tolerates a trailing slash", async () => {
    fake = await startFakeInvoiceApp({ paysAfterMs: 0 });
    const result = await run("bash", [script], { env: { ...fast, E2E_URL: `${fake.url}/` } });
    expect(result.code, result.output).toBe(0);
  });

  it("fails when the invoices are never paid, naming the unpaid ones", async () => {
    const result = await e2eAgainst({ paysAfterMs: "never" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/e2e FAILED: 3 of 3 invoices still unpaid 2s after POST \/invoices\/pay: I1,I2,I3/);
  });

  it("fails when paying answers an error status", async () => {
    const result = await e2eAgainst({ payStatus: 500 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/invoices\/pay answered HTTP 500/);
  });

  it("fails without paying when there is no unpaid invoice to pay", async () => {
    const result = await e2eAgainst({
      invoices: [{ InvoiceId: "I1", Value: 12.15, Currency: "EUR", IsPaid: true }],
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("already paid");
    expect(fake?.calls).not.toContain("POST /invoices/pay");
  });

  it("fails when the wire format is not the legacy one", async () => {
    const result = await e2eAgainst({
      invoices: [{ InvoiceId: "I1", Value: "12.15", Currency: "EUR", IsPaid: false }],
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("invoice without Value (number)");
  });

  it("fails at the readiness deadline when /readyz never answers 200", async () => {
    fake = await startFakeInvoiceApp({ notReadyFor: Number.POSITIVE_INFINITY });
    const result = await run("bash", [script, "--url", fake.url, "--ready-timeout", "2"], { env: fast });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("is not ready after 2s: GET /readyz answered HTTP 503");
  });

  it("fails with a hint when nothing listens at the URL", async () => {
    const port = await unusedPort();
    const result = await run("bash", [script, "--url", `http://127.0.0.1:${port}`, "--ready-timeout", "1"], {
      env: fast,
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("did not answer within 1s");
    expect(result.stderr).toContain("make dev");
  });

  it("rejects bad arguments", async () => {
    const result = await run("bash", [script, "--url", "localhost:8081"], { env: fast });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("URL must start with http:// or https://");
  });
});
