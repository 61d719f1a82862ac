// `npm run bench`: starts the real services from their release bundles, drives them, and prints one table of
// measured figures beside their targets. See docs/performance.md for how to read it.
//
// Environment:
//   BENCH_DATABASE_URL (or DATABASE_URL)  PostgreSQL admin URL: each run creates and drops its own databases.
//                                         Unset: everything runs on embedded PGlite (the payment target and the
//                                         resource sizing need PostgreSQL and are skipped).
//   BENCH_LARGE=1                         also runs the payment flow with N = 100,000.
//   BENCH_ONLY=http,payments,startup,devloop  runs only these sections (sizing needs payments).
//   BENCH_WRITE_MANIFESTS=1               writes the computed requests/limits into kustomize/base/*/deployment.yaml.
//   BENCH_NICE (default -10)              scheduling priority of every process the bench starts (root only; 0: off).
//   BENCH_V8_FLAGS (default --max-semi-space-size=1)  put before the image's node flags: the young generation V8
//                                         picks inside a pod memory limit of 512 Mi or less (empty: V8's own choice);
//                                         a flag the image's CMD sets as well is the image's.
//   BENCH_HTTP_SECONDS, BENCH_HTTP_ROUNDS, BENCH_HTTP_CONNECTIONS, BENCH_START_RUNS, BENCH_DEVLOOP_RUNS,
//   BENCH_SETTLEMENT_LATENCY_MS, BENCH_INVOICE_WORKER_CONCURRENCY, BENCH_PROVIDER_WORKER_CONCURRENCY,
//   BENCH_DATABASE_POOL_SIZE, BENCH_LOAD_TOOL=autocannon
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { enabled, loadAverage, machine, releaseNodeFlags, repoRoot, settings, staleBundles } from "./lib/config.js";
import { loadTool } from "./lib/load.js";
import { Report } from "./lib/report.js";
import { devloopSection } from "./sections/devloop.js";
import { httpSection } from "./sections/http.js";
import { PAYMENTS_PHASE, paymentsSection } from "./sections/payments.js";
import { sizingSection } from "./sections/sizing.js";
import { loadUsageRows, startupSection } from "./sections/startup.js";
import { UsageLog } from "./sections/usage.js";

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const stale = await staleBundles();
  if (stale.length > 0) {
    log(`release bundles missing or older than their sources (${stale.join(", ")}): npm run build`);
    const build = spawnSync("npm", ["run", "build"], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
    if (build.status !== 0) throw new Error("npm run build failed");
  }

  const report = new Report();
  const usage = new UsageLog();
  const store = settings.databaseUrl === undefined ? "PGlite (BENCH_DATABASE_URL unset)" : "PostgreSQL";
  const loadBefore = loadAverage();
  const sections: [string, string, () => Promise<void>][] = [
    ["startup", "3: start to ready and idle memory", () => startupSection(report, usage)],
    ["http", "1: GET /invoices and invoices.list against bare node:http", () => httpSection(report, usage)],
    ["payments", "2: payment throughput and the exactly-once check", () => paymentsSection(report, usage)],
    ["devloop", "4: dev loop", () => devloopSection(report)],
  ];
  for (const [name, title, run] of sections) {
    if (!enabled(name)) continue;
    log(`section ${title}`);
    try {
      await run();
    } catch (error) {
      report.error(title, "section failed", error);
      log(`section ${name} failed: ${(error as Error).stack ?? String(error)}`);
    }
  }
  loadUsageRows(report, usage, PAYMENTS_PHASE);
  if (enabled("payments")) sizingSection(report, usage, PAYMENTS_PHASE);
  report.rows.sort((a, b) => a.area.localeCompare(b.area, "en", { numeric: true }));

  const m = machine();
  const header = [
    `# npm run bench — ${new Date().toISOString()}`,
    "",
    `machine: ${m.cpu}, ${m.memory} RAM, Linux ${m.kernel}; Node ${m.node}; load generator: ${loadTool}`,
    `store: ${store}; priority: ${settings.nice === 0 ? "normal" : `nice ${settings.nice}`}; ` +
      `services: release bundles with ${describeNodeFlags()}; ` +
      `load average before ${loadBefore}, after ${loadAverage()}; took ${Math.round((Date.now() - started) / 1000)} s`,
    "",
  ].join("\n");
  const table = report.render();
  process.stdout.write(`${header}\n${table}\n`);

  const resultsDir = path.join(os.tmpdir(), "invoicing-bench");
  mkdirSync(resultsDir, { recursive: true });
  const json = path.join(resultsDir, "latest.json");
  writeFileSync(
    json,
    JSON.stringify({ header, rows: report.rows, notes: report.notes, usage: usage.entries }, null, 2),
  );
  log(`results also in ${json}`);
  const failed = report.rows.some((row) => row.verdict === "error");
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  log((error as Error).stack ?? String(error));
  process.exit(1);
});

/** The node flags the services ran with, in the order given (V8 keeps the last of a repeated flag). */
function describeNodeFlags(): string {
  const image = releaseNodeFlags("invoice-app");
  const pod = settings.v8Flags.length > 0 ? `${settings.v8Flags.join(" ")} (V8's heap sizing inside a pod limit)` : "";
  const fromImage = image.length > 0 ? `${image.join(" ")} (the image's CMD)` : "the image's node flags (none)";
  return [pod, fromImage].filter((part) => part !== "").join(", then ");
}
