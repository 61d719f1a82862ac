// Helpers for testing the shell scripts and the Makefile: run a command asynchronously (so in-process fake servers
// keep answering), build sandboxes of stub executables, and a fake invoice-app.
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr, for messages. */
  readonly output: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Runs a command without a terminal on stdin (like CI) and collects its output. Never throws on exit codes. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? repoRoot,
      env: { NO_COLOR: "1", ...(options.env ?? process.env) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, output: `${stdout}\n${stderr}` });
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

export function writeExecutable(path: string, body: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, body);
  chmodSync(path, 0o755);
}

/** Where a command lives on this machine, or undefined. */
export function which(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, command);
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * A directory of symlinks to the basic utilities a script may use, and nothing else: with PATH set to stub
 * directories plus this one, the real docker/kubectl/minikube/skaffold of the machine are invisible.
 */
export function basicUtilities(dir: string): string {
  const utilities = [
    "bash",
    "env",
    "dirname",
    "basename",
    "uname",
    "cat",
    "grep",
    "sed",
    "cut",
    "tr",
    "head",
    "tail",
    "paste",
    "awk",
    "sleep",
    "mktemp",
    "mkdir",
    "install",
    "rm",
    "mv",
    "cp",
    "touch",
    "sha256sum",
    "tar",
    "ls",
    "date",
    "sort",
    "wc",
    "chmod",
    "readlink",
    "make",
    "node",
  ];
  mkdirSync(dir, { recursive: true });
  for (const name of utilities) {
    const target = which(name);
    if (target && !existsSync(join(dir, name))) symlinkSync(target, join(dir, name));
  }
  return dir;
}

// ---- fake invoice-app ------------------------------------------------------------------------------------------

export interface FakeInvoice {
  InvoiceId: string;
  Value: number | string;
  Currency: string;
  IsPaid: boolean;
}

export interface FakeOptions {
  /** GET /readyz answers 503 this many times before answering 200; Infinity: never ready. */
  readonly notReadyFor?: number;
  /** POST /invoices/pay marks everything paid after this delay; "never" keeps them unpaid. */
  readonly paysAfterMs?: number | "never";
  readonly payStatus?: number;
  readonly invoices?: readonly FakeInvoice[];
}

export interface FakeInvoiceApp {
  readonly url: string;
  readonly calls: string[];
  close(): Promise<void>;
}

export const seedInvoices: readonly FakeInvoice[] = [
  { InvoiceId: "I1", Value: 12.15, Currency: "EUR", IsPaid: false },
  { InvoiceId: "I2", Value: 10.25, Currency: "GBP", IsPaid: false },
  { InvoiceId: "I3", Value: 66.13, Currency: "DKK", IsPaid: false },
];

/** A tiny stand-in for invoice-app's legacy REST API on 127.0.0.1 and a random port. */
export async function startFakeInvoiceApp(options: FakeOptions = {}): Promise<FakeInvoiceApp> {
  const invoices = (options.invoices ?? seedInvoices).map((i) => ({ ...i }));
  const calls: string[] = [];
  let readyzCalls = 0;
  const timers: NodeJS.Timeout[] = [];
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const route = `${req.method ?? "?"} ${req.url ?? "?"}`;
    calls.push(route);
    req.resume();
    if (route === "GET /readyz") {
      readyzCalls += 1;
      const ready = readyzCalls > (options.notReadyFor ?? 0);
      json(res, ready ? 200 : 503, { status: ready ? "ready" : "starting" });
    } else if (route === "GET /invoices") {
      json(res, 200, invoices);
    } else if (route === "POST /invoices/pay") {
      const status = options.payStatus ?? 202;
      const paysAfterMs = options.paysAfterMs ?? 200;
      if (status < 300 && paysAfterMs !== "never") {
        timers.push(
          setTimeout(() => {
            for (const invoice of invoices) invoice.IsPaid = true;
          }, paysAfterMs),
        );
      }
      json(res, status, status < 300 ? { status: "accepted" } : { error: "boom" });
    } else {
      json(res, 404, { error: "not found" });
    }
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

/** A 127.0.0.1 port with nothing listening on it (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
  return port;
}
