import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { request, waitFor } from "@invoicing/shared/testing";

const repoRoot = path.resolve(import.meta.dirname, "../../..");

/** Bundles a service as its release image does, so fault tests run the real production entry point. */
export function buildService(service: "invoice-app" | "payment-provider"): string {
  const cwd = path.join(repoRoot, service);
  execFileSync(process.execPath, [path.join(repoRoot, "scripts/bundle.mjs"), service], { cwd, stdio: "ignore" });
  return path.join(cwd, "dist/main.js");
}

/** One service process that can be killed (SIGKILL: no shutdown code runs) and started again on the same port. */
export class ServiceProcess {
  private child: ChildProcess | undefined;
  private readonly log: WriteStream;
  readonly url: string;
  starts = 0;

  constructor(
    readonly name: string,
    private readonly entry: string,
    private readonly env: Record<string, string>,
    port: number,
    private readonly logFile: string,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.env = { ...env, PORT: String(port), HOST: "127.0.0.1" };
    this.log = createWriteStream(logFile, { flags: "a" });
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [this.entry], {
      env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", ...this.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.pipe(this.log, { end: false });
    child.stderr?.pipe(this.log, { end: false });
    this.child = child;
    this.starts++;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`${this.name} exited with ${child.exitCode}`);
        return (await request(this.url, "/readyz")).status === 200 ? true : undefined;
      },
      { timeoutMs: 60_000, what: `${this.name} to be ready` },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}\n${await this.tail()}`);
    });
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  async tail(lines = 30): Promise<string> {
    const text = await readFile(this.logFile, "utf8").catch(() => "");
    return text.split("\n").slice(-lines).join("\n");
  }
}
