import { type ChildProcess, spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { freePort, request, waitFor } from "@invoicing/shared/testing";
import { afterEach, describe, expect, it } from "vitest";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const children: ChildProcess[] = [];

function startMain(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", MAIN], {
    env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, exited };
}

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
});

describe("invoice-app process", () => {
  it("exits 1 with one line naming the variable on bad configuration", async () => {
    const { exited } = startMain({ PORT: "not-a-port" });
    const { code, stderr } = await exited;
    expect(code).toBe(1);
    expect(stderr.trim().split("\n")).toHaveLength(1);
    expect(stderr).toMatch(/^config error: PORT: /);
  }, 60_000);

  it("on SIGTERM fails readiness at once, finishes in-flight requests, then exits 0", async () => {
    // A provider that takes a while to answer keeps a pay request in flight during shutdown.
    const slowProvider = http.createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        const input = JSON.parse(body) as {
          idempotencyKey: string;
          invoiceId: string;
          amountMinor: number;
          currency: string;
        };
        setTimeout(() => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              result: {
                data: {
                  ...input,
                  id: `pay_${input.invoiceId}`,
                  status: "succeeded",
                  declineReason: null,
                  createdAt: new Date().toISOString(),
                },
              },
            }),
          );
        }, 1_500);
      });
    });
    await new Promise<void>((resolve) => slowProvider.listen(0, "127.0.0.1", resolve));
    const providerUrl = `http://127.0.0.1:${(slowProvider.address() as AddressInfo).port}`;
    try {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}`;
      const { child, exited } = startMain({
        PORT: String(port),
        HOST: "127.0.0.1",
        PAYMENT_PROVIDER_URL: providerUrl,
        SHUTDOWN_DRAIN_DELAY_MS: "300",
      });
      await waitFor(async () => ((await request(url, "/readyz")).status === 200 ? true : undefined), {
        timeoutMs: 60_000,
        what: "invoice-app to be ready",
      });
      const inFlight = request(url, "/invoices/pay?waitMs=10000", { method: "POST" });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const signalledAt = Date.now();
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await request(url, "/readyz")).status).toBe(503);
      const finished = await inFlight;
      expect(finished.status).toBe(200);
      expect(finished.body).toEqual({ started: 3, paid: 3, failed: 0, pending: 0 });
      const { code } = await exited;
      expect(code).toBe(0);
      expect(Date.now() - signalledAt).toBeLessThan(10_000);
    } finally {
      slowProvider.closeAllConnections();
      await new Promise((resolve) => slowProvider.close(resolve));
    }
  }, 120_000);
});
