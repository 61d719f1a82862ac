import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createDatabase, releaseNodeFlags, repoRoot, settings } from "../lib/config.js";
import { generateLoad, type LoadResult } from "../lib/load.js";
import { freePort, httpRequest, launch, median, type Running, sample, sleep } from "../lib/processes.js";
import { fmt, type Report } from "../lib/report.js";
import { startService } from "../lib/services.js";
import type { UsageLog } from "./usage.js";

const INVOICES = 100;
const CURRENCIES = ["EUR", "GBP", "DKK", "USD", "JPY"] as const;
const SERVER_CPU = "0";
const LOAD_CPU = "1";
const TARGET_RPS = 45_000;
const TARGET_RATIO = 0.9;

interface Measured {
  load: LoadResult;
  /** Server CPU time per request, microseconds. */
  cpuPerRequestUs: number;
}

/**
 * 1. GET /invoices and tRPC invoices.list with 100 invoices, server on core 0, load generator on core 1, beside a
 * bare node:http server that returns the same bytes for each. Rounds alternate the four targets so drift on a shared
 * machine hits all of them alike; the median round of each is reported.
 */
export async function httpSection(report: Report, usage: UsageLog): Promise<void> {
  const area = "1 HTTP (100 invoices)";
  const database = settings.databaseUrl === undefined ? undefined : await createDatabase(settings.databaseUrl, "http");
  const scratch = await mkdtemp(path.join(os.tmpdir(), "bench-http-"));
  let bare: Running | undefined;
  let app: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    app = await startService("invoice-app", {
      databaseUrl: database?.url,
      cpus: SERVER_CPU,
      env: { SEED_INVOICES: "false", PAYMENT_PROVIDER_URL: "http://127.0.0.1:9" },
    });
    for (let i = 1; i <= INVOICES; i++) {
      const created = await httpRequest(`${app.url}/invoices`, {
        method: "POST",
        body: {
          InvoiceId: `bench-${String(i).padStart(4, "0")}`,
          Value: (100 + ((i * 37) % 10_000)) / (CURRENCIES[i % CURRENCIES.length] === "JPY" ? 1 : 100),
          Currency: CURRENCIES[i % CURRENCIES.length],
        },
      });
      if (created.status !== 201) throw new Error(`creating invoice ${i}: ${created.status} ${created.body}`);
    }
    const legacy = await httpRequest(`${app.url}/invoices`);
    const list = JSON.parse(legacy.body) as unknown[];
    if (legacy.status !== 200 || list.length !== INVOICES) throw new Error(`GET /invoices: ${legacy.status}`);
    const trpc = await httpRequest(`${app.url}/trpc/invoices.list`);
    if ((JSON.parse(trpc.body) as { result: { data: unknown[] } }).result.data.length !== INVOICES) {
      throw new Error(`invoices.list: ${trpc.status}`);
    }
    // Each endpoint is compared with bare node sending that endpoint's own bytes: throughput depends on the response
    // size, not only on the code (here responses over about 8 KB run faster per request than smaller ones).
    const legacyFile = path.join(scratch, "invoices.json");
    const trpcFile = path.join(scratch, "invoices.list.json");
    await writeFile(legacyFile, legacy.body);
    await writeFile(trpcFile, trpc.body);
    const barePort = await freePort();
    bare = launch({
      name: "bare node:http",
      command: process.execPath,
      // The same node flags as the service, so the two differ only in the code that answers.
      args: [
        ...settings.v8Flags,
        ...releaseNodeFlags("invoice-app"),
        path.join(repoRoot, "bench/bare-server.mjs"),
        String(barePort),
        ...[`/invoices=${legacyFile}`, legacy.headers["content-type"] ?? ""],
        ...[`/trpc/invoices.list=${trpcFile}`, trpc.headers["content-type"] ?? ""],
      ],
      env: {},
      cpus: SERVER_CPU,
      nice: settings.nice,
    });
    await waitForOutput(bare, "ready");

    const bareBase = `http://127.0.0.1:${barePort}`;
    const targets = {
      bareLegacy: `${bareBase}/invoices`,
      legacy: `${app.url}/invoices`,
      bareTrpc: `${bareBase}/trpc/invoices.list`,
      trpc: `${app.url}/trpc/invoices.list`,
    };
    type Target = keyof typeof targets;
    const isBare = (name: Target) => name === "bareLegacy" || name === "bareTrpc";
    const results: Record<Target, Measured[]> = { bareLegacy: [], legacy: [], bareTrpc: [], trpc: [] };
    const appPid = app.running.pid;
    const barePid = bare.pid;
    for (let round = 0; round < settings.httpRounds; round++) {
      for (const [name, url] of Object.entries(targets) as [Target, string][]) {
        const common = { url, connections: settings.httpConnections, cpus: LOAD_CPU, nice: settings.nice };
        await generateLoad({ ...common, seconds: round === 0 ? 2 : 1 }); // warm-up: JIT, connections, caches
        const pid = isBare(name) ? barePid : appPid;
        const sampler = sample([pid]);
        const startedAt = performance.now();
        const load = await generateLoad({ ...common, seconds: settings.httpSeconds });
        const seconds = (performance.now() - startedAt) / 1000;
        const used = sampler.stop().get(pid);
        if (used !== undefined && !isBare(name)) usage.record("invoice-app", `HTTP load (${name})`, used);
        const cpuPerRequestUs = used === undefined ? Number.NaN : (used.cpuMean * seconds * 1e6) / load.requests;
        results[name].push({ load, cpuPerRequestUs });
        await sleep(200);
      }
    }

    const pick = (name: Target) => {
      const rounds = results[name];
      return {
        rps: median(rounds.map((r) => r.load.requestsPerSecond)),
        p50: median(rounds.map((r) => r.load.p50Ms)),
        p99: median(rounds.map((r) => r.load.p99Ms)),
        cpuUs: median(rounds.map((r) => r.cpuPerRequestUs)),
        errors: rounds.reduce((sum, r) => sum + r.load.errors, 0),
        all: rounds.map((r) => Math.round(r.load.requestsPerSecond)).join(", "),
      };
    };
    // Each round measures the targets back to back; the ratio is the median of the per-round ratios, so a change in
    // what else the machine is doing between rounds cancels out.
    const ratio = (name: "legacy" | "trpc", reference: "bareLegacy" | "bareTrpc") =>
      median(
        results[name].map(
          (r, i) => r.load.requestsPerSecond / (results[reference][i]?.load.requestsPerSecond ?? Number.NaN),
        ),
      );
    const rounds = `median of ${settings.httpRounds} rounds`;
    const errors = (n: number) => (n > 0 ? `${n} non-2xx responses or socket errors` : undefined);
    const us = (value: number) => `${value.toFixed(1)} µs`;
    const endpoints = [
      {
        name: "legacy",
        reference: "bareLegacy",
        title: "GET /invoices",
        short: "GET /invoices",
        bytes: Buffer.byteLength(legacy.body),
      },
      {
        name: "trpc",
        reference: "bareTrpc",
        title: "invoices.list (tRPC GET)",
        short: "invoices.list",
        bytes: Buffer.byteLength(trpc.body),
      },
    ] as const;
    for (const endpoint of endpoints) {
      const b = pick(endpoint.reference);
      const e = pick(endpoint.name);
      const same = `the same ${fmt.bytes(endpoint.bytes)} as ${endpoint.short}`;
      report.info(area, `bare node:http, ${same}: req/s`, fmt.rps(b.rps), `${rounds}: ${b.all}`);
      report.info(area, `bare node:http, ${same}: p50 / p99`, `${fmt.ms(b.p50)} / ${fmt.ms(b.p99)}`);
      const detail = [errors(e.errors), `${rounds}: ${e.all}`].filter(Boolean).join("; ");
      if (endpoint.name === "legacy") {
        report.check(
          area,
          `${endpoint.title}: req/s`,
          e.rps,
          fmt.rps,
          { atLeast: TARGET_RPS, label: ">= 45,000 req/s" },
          detail,
        );
      } else {
        report.info(area, `${endpoint.title}: req/s`, fmt.rps(e.rps), detail);
      }
      report.info(area, `${endpoint.short}: p50 / p99`, `${fmt.ms(e.p50)} / ${fmt.ms(e.p99)}`);
      report.check(area, `${endpoint.short}: ratio to bare node`, ratio(endpoint.name, endpoint.reference), fmt.ratio, {
        atLeast: TARGET_RATIO,
        label: ">= 0.90",
      });
      report.info(
        area,
        `${endpoint.short}: server CPU per request, bare / service`,
        `${us(b.cpuUs)} / ${us(e.cpuUs)}`,
        "from /proc/<pid>/stat over each run; unlike req/s it does not depend on how much CPU the machine's other work leaves",
      );
    }
  } finally {
    await bare?.stop();
    await app?.running.stop();
    await database?.drop();
    await rm(scratch, { recursive: true, force: true });
  }
}

async function waitForOutput(running: Running, text: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (running.output().includes(text)) return;
    if (running.child.exitCode !== null) throw new Error(`${running.name} exited: ${running.output()}`);
    await sleep(5);
  }
  throw new Error(`${running.name} did not print "${text}"`);
}
