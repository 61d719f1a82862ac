import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, request, waitFor } from "@invoicing/shared/testing";
import { describe, expect, it } from "vitest";

const repoRoot = path.resolve(import.meta.dirname, "../..");

/** Every process below pid, read from /proc (parent pid is the 4th field of /proc/<pid>/stat). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const walk = (id: number) => {
    for (const child of children.get(id) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("npm run dev", () => {
  it("serves both services wired together on loopback, one store each, and SIGTERM leaves no stray process", async () => {
    const [invoicePort, providerPort] = [await freePort(), await freePort()];
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "dev-data-"));
    const dev = spawn("npm", ["run", "dev"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        DEV_INVOICE_APP_PORT: String(invoicePort),
        DEV_PAYMENT_PROVIDER_PORT: String(providerPort),
        // What a developer's shell may export: dev must still listen on loopback and keep one store per service.
        HOST: "203.0.113.7",
        DATA_DIR: dataDir,
        DATABASE_URL: "postgres://nobody@127.0.0.1:9/shared-by-mistake",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    // What the services printed, shown when the test fails: a dev server that cannot start says why there.
    let output = "";
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    dev.stdout.on("data", keep);
    dev.stderr.on("data", keep);
    const invoices = `http://127.0.0.1:${invoicePort}`;
    try {
      await waitFor(
        async () => {
          if (dev.exitCode !== null) return "exited";
          const [a, b] = [
            await request(invoices, "/readyz"),
            await request(`http://127.0.0.1:${providerPort}`, "/readyz"),
          ];
          return a.status === 200 && b.status === 200 ? "ready" : undefined;
        },
        { timeoutMs: 90_000, what: "both dev services to be ready" },
      )
        .then((state) => {
          if (state === "exited") throw new Error(`npm run dev exited with ${dev.exitCode}`);
        })
        .catch((error: unknown) => {
          throw new Error(`${error instanceof Error ? error.message : String(error)}\nnpm run dev printed:\n${output}`);
        });
      const paid = await request(invoices, "/invoices/pay?waitMs=20000", { method: "POST" });
      expect(paid.body).toEqual({ started: 3, paid: 3, failed: 0, pending: 0 });

      expect(readdirSync(dataDir).sort()).toEqual(["invoice-app", "payment-provider"]);

      const tree = descendants(dev.pid ?? -1);
      expect(tree.length).toBeGreaterThanOrEqual(4); // dev.mjs, two npm runs, two watchers and their services
      const exited = new Promise((resolve) => dev.once("exit", resolve));
      dev.kill("SIGTERM");
      await exited;
      const stray = await waitFor(async () => (tree.some(alive) ? undefined : []), {
        timeoutMs: 15_000,
        what: "every process of npm run dev to exit",
      }).catch(() => tree.filter(alive));
      expect(stray).toEqual([]);
    } finally {
      if (dev.exitCode === null) dev.kill("SIGKILL");
      for (const pid of descendants(dev.pid ?? -1)) if (alive(pid)) process.kill(pid, "SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 150_000);
});
