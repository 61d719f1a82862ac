import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";

export const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

export interface Launch {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  /** CPU list for taskset, e.g. "0". */
  cpus?: string;
  /** Scheduling priority (nice); applied to the process and, by inheritance, its children. */
  nice?: number;
}

export interface Running {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly spawnedAt: number;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export function launch(options: Launch): Running {
  const [command, args] =
    options.cpus === undefined
      ? [options.command, options.args]
      : ["taskset", ["-c", options.cpus, options.command, ...options.args]];
  const spawnedAt = performance.now();
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${options.name}`);
  if (options.nice !== undefined && options.nice !== 0) {
    try {
      os.setPriority(child.pid, options.nice);
    } catch {
      // not permitted (not root): run at normal priority
    }
  }
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name: options.name,
    child,
    pid: child.pid,
    spawnedAt,
    output: () => log,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface HttpResult {
  headers: http.IncomingHttpHeaders;
  status: number;
  body: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function httpRequest(
  url: string,
  options: { method?: string; body?: unknown; fresh?: boolean; timeoutMs?: number } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const request = http.request(
      url,
      {
        method: options.method ?? "GET",
        agent: options.fresh === true ? false : agent,
        headers: payload === undefined ? {} : { "content-type": "application/json" },
        timeout: options.timeoutMs ?? 30_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`timeout: ${url}`)));
    request.on("error", reject);
    request.end(payload);
  });
}

/** Milliseconds from spawn to the first 200 from /readyz, polling every 5 ms on fresh connections. */
export async function waitReady(service: Running, baseUrl: string, timeoutMs = 120_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) {
      throw new Error(`${service.name} exited with ${service.child.exitCode}:\n${service.output().slice(-3000)}`);
    }
    try {
      const response = await httpRequest(`${baseUrl}/readyz`, { fresh: true, timeoutMs: 2_000 });
      if (response.status === 200) return performance.now() - service.spawnedAt;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) {
      throw new Error(`${service.name} not ready after ${timeoutMs} ms:\n${service.output().slice(-3000)}`);
    }
    await sleep(5);
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU time (user + system) of a process in seconds, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident set size in bytes, from /proc/<pid>/status. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match === null ? 0 : Number(match[1]) * 1024;
}

export interface Usage {
  /** CPU in cores (1 = one core busy), one sample per interval. */
  cpu: number[];
  rss: number[];
  /** Whole-window CPU in cores. */
  cpuMean: number;
  rssPeak: number;
}

/** Samples CPU and RSS of processes every `intervalMs` until stopped. */
export function sample(pids: readonly number[], intervalMs = 250): { stop(): Map<number, Usage> } {
  const state = new Map(
    pids.map((pid) => [
      pid,
      { cpu: [] as number[], rss: [] as number[], first: cpuSeconds(pid), last: cpuSeconds(pid) },
    ]),
  );
  const started = performance.now();
  let lastAt = started;
  const timer = setInterval(() => {
    const now = performance.now();
    for (const [pid, entry] of state) {
      try {
        const cpu = cpuSeconds(pid);
        entry.cpu.push((cpu - entry.last) / ((now - lastAt) / 1000));
        entry.last = cpu;
        entry.rss.push(rssBytes(pid));
      } catch {
        // exited
      }
    }
    lastAt = now;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      const result = new Map<number, Usage>();
      for (const [pid, entry] of state) {
        let total = entry.last;
        try {
          total = cpuSeconds(pid);
          entry.rss.push(rssBytes(pid));
        } catch {
          // exited
        }
        result.set(pid, {
          cpu: entry.cpu,
          rss: entry.rss,
          cpuMean: (total - entry.first) / seconds,
          rssPeak: Math.max(0, ...entry.rss),
        });
      }
      return result;
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

export const median = (values: readonly number[]) => percentile(values, 50);
