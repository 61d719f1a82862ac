import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig as invoiceAppConfig } from "../../invoice-app/src/config.js";
import { loadConfig as paymentProviderConfig } from "../../payment-provider/src/config.js";

export const repoRoot = path.resolve(import.meta.dirname, "../..");

export type Service = "invoice-app" | "payment-provider";
export const SERVICES: readonly Service[] = ["invoice-app", "payment-provider"];

const int = (name: string, fallback: number) => {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`${name}: must be a number (got ${JSON.stringify(raw)})`);
  return value;
};

export const settings = {
  databaseUrl: process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || undefined,
  large: process.env.BENCH_LARGE === "1",
  /**
   * Seconds per measured HTTP load run, after a warm-up (2 s in the first round, 1 s after). Short runs keep the bare
   * server's run and the service's close in time, so a burst of other work on the machine hits both alike.
   */
  httpSeconds: int("BENCH_HTTP_SECONDS", 2),
  /** Rounds of the four HTTP targets (bare and service, two endpoints); the median round is reported. */
  httpRounds: int("BENCH_HTTP_ROUNDS", 9),
  httpConnections: int("BENCH_HTTP_CONNECTIONS", 50),
  startRuns: int("BENCH_START_RUNS", 5),
  devloopRuns: int("BENCH_DEVLOOP_RUNS", 3),
  /** Scheduling priority of every process the bench starts (root only): keeps other work on a shared machine from
   * dominating the figures. 0 disables. */
  nice: int("BENCH_NICE", -10),
  writeManifests: process.env.BENCH_WRITE_MANIFESTS === "1",
  /**
   * V8 sizes its heap from the memory it can see: here (no memory limit) its young generation grows to 128 MB under
   * load, in a pod whose limit is 512 Mi or less V8 picks 1 MB semi-spaces. The services run with what V8 picks in
   * the pod, so RSS and GC cost are the pod's, not this machine's.
   */
  v8Flags: (process.env.BENCH_V8_FLAGS ?? "--max-semi-space-size=1").split(" ").filter((flag) => flag !== ""),
  only: (process.env.BENCH_ONLY ?? "").split(",").filter((part) => part !== ""),
  /** Payment-flow settings, printed with the results. */
  payments: {
    SETTLEMENT_LATENCY_MS: String(int("BENCH_SETTLEMENT_LATENCY_MS", 50)),
    DECLINE_RATE: "0",
    // The services' own defaults unless overridden: the bench measures what a deployment runs.
    INVOICE_WORKER_CONCURRENCY: String(
      int("BENCH_INVOICE_WORKER_CONCURRENCY", invoiceAppConfig({}).WORKER_CONCURRENCY),
    ),
    PROVIDER_WORKER_CONCURRENCY: String(
      int("BENCH_PROVIDER_WORKER_CONCURRENCY", paymentProviderConfig({}).WORKER_CONCURRENCY),
    ),
    DATABASE_POOL_SIZE: String(int("BENCH_DATABASE_POOL_SIZE", 10)),
    PAYMENT_PROVIDER_TIMEOUT_MS: "5000",
    EVENTS_WEBHOOK_TIMEOUT_MS: "5000",
  },
};

export const WEBHOOK_SECRET = `bench-only-${randomBytes(24).toString("hex")}`;

/** Runs a section unless BENCH_ONLY names others. */
export const enabled = (section: string) => settings.only.length === 0 || settings.only.includes(section);

/** The flags the release image passes to node (its Dockerfile CMD before the script), so the bench runs the same. */
export function releaseNodeFlags(service: Service): string[] {
  const dockerfile = readFileSync(path.join(repoRoot, service, "Dockerfile"), "utf8");
  const cmd = [...dockerfile.matchAll(/^CMD\s+(\[.*\])\s*$/gm)].at(-1)?.[1];
  if (cmd === undefined) return [];
  const parts = JSON.parse(cmd) as string[];
  return parts.filter((part) => part.startsWith("--"));
}

export function entry(service: Service): string {
  return path.join(repoRoot, service, "dist/main.js");
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const item of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (item.isFile()) newest = Math.max(newest, statSync(path.join(item.parentPath, item.name)).mtimeMs);
  }
  return newest;
}

/** The services whose release bundle is missing or older than its sources (service, shared, bundler, lockfile). */
export async function staleBundles(): Promise<Service[]> {
  const shared = Math.max(
    await newestMtime(path.join(repoRoot, "shared/src")),
    statSync(path.join(repoRoot, "scripts/bundle.mjs")).mtimeMs,
    statSync(path.join(repoRoot, "package-lock.json")).mtimeMs,
  );
  const stale: Service[] = [];
  for (const service of SERVICES) {
    const bundle = entry(service);
    const sources = Math.max(shared, await newestMtime(path.join(repoRoot, service, "src")));
    if (!existsSync(bundle) || statSync(bundle).mtimeMs < sources) stale.push(service);
  }
  return stale;
}

export function machine() {
  const cpus = os.cpus();
  return {
    cpu: `${cpus[0]?.model ?? "unknown"} x ${cpus.length}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: os.release(),
    node: process.version,
  };
}

export function loadAverage(): string {
  return os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

/** A database per run on the PostgreSQL server, dropped afterwards. */
export async function createDatabase(
  adminUrl: string,
  prefix: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `bench_${prefix}_${randomBytes(4).toString("hex")}`;
  await admin(adminUrl, `CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
