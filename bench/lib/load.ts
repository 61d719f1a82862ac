import { execFileSync, spawn } from "node:child_process";
import { createRequire } from "node:module";
import os from "node:os";

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx, plus socket errors. */
  errors: number;
}

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  /** taskset CPU list for the load generator. */
  cpus: string;
  nice?: number;
}

function installed(command: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export const loadTool: "wrk" | "autocannon" =
  process.env.BENCH_LOAD_TOOL === "autocannon" || !installed("wrk") ? "autocannon" : "wrk";

function run(command: string, args: string[], nice: number | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    if (nice !== undefined && nice !== 0 && child.pid !== undefined) {
      try {
        os.setPriority(child.pid, nice);
      } catch {
        // not permitted
      }
    }
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} exited with ${code}: ${err.slice(-2000)}`)),
    );
  });
}

const toMs = (value: string, unit: string) => Number(value) * (unit === "us" ? 0.001 : unit === "s" ? 1000 : 1);

async function wrk(options: LoadOptions): Promise<LoadResult> {
  const out = await run(
    "taskset",
    [
      "-c",
      options.cpus,
      "wrk",
      "-t1",
      `-c${options.connections}`,
      `-d${options.seconds}s`,
      "--latency",
      "--timeout",
      "5s",
      options.url,
    ],
    options.nice,
  );
  const latency = (label: string) => {
    const match = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(out);
    return match === null ? Number.NaN : toMs(match[1] ?? "", match[2] ?? "ms");
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p50Ms: latency("50"),
    p99Ms: latency("99"),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors:
      Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) +
      (socketErrors === null ? 0 : socketErrors.slice(1).reduce((sum, n) => sum + Number(n), 0)),
  };
}

async function autocannon(options: LoadOptions): Promise<LoadResult> {
  const cli = createRequire(import.meta.url).resolve("autocannon/autocannon.js");
  const out = await run(
    "taskset",
    [
      "-c",
      options.cpus,
      process.execPath,
      cli,
      "-c",
      String(options.connections),
      "-d",
      String(options.seconds),
      "--json",
      options.url,
    ],
    options.nice,
  );
  const result = JSON.parse(out) as {
    requests: { average: number; total: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    duration: number;
  };
  return {
    requestsPerSecond: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.non2xx + result.errors,
  };
}

export function generateLoad(options: LoadOptions): Promise<LoadResult> {
  return loadTool === "wrk" ? wrk(options) : autocannon(options);
}
