import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, postJson, request, waitFor } from "@invoicing/shared/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyServiceForDev } from "../../scripts/dev/service-copy.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const ROUTES = "src/http/routes.ts";
const MESSAGE = "waitMs: must be a whole number of milliseconds up to 600000";

/**
 * `npm run dev -w invoice-app` in a copy of invoice-app (the repository is never edited): a saved change is served
 * without restarting the process or the database, a broken save leaves it waiting, and the next good save recovers.
 */
describe("npm run dev -w invoice-app: restart on save", () => {
  let scratch: string;
  let dev: ChildProcess;
  let base: string;
  let output = "";
  let source: string;

  const served = async (text: string) => {
    const response = await request(base, "/invoices/pay?waitMs=x", { method: "POST" });
    return JSON.stringify(response.body).includes(text) ? true : undefined;
  };
  const serves = (text: string) =>
    waitFor(() => served(text), { timeoutMs: 30_000, intervalMs: 50, what: `"${text}" to be served` }).catch(
      (error: unknown) => {
        throw new Error(`${(error as Error).message}\nnpm run dev printed:\n${output}`);
      },
    );

  beforeAll(async () => {
    scratch = await mkdtemp(path.join(os.tmpdir(), "dev-reload-"));
    const app = await copyServiceForDev(repoRoot, "invoice-app", scratch);
    source = await readFile(path.join(app, ROUTES), "utf8");
    expect(source).toContain(MESSAGE);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    dev = spawn("npm", ["run", "dev"], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? os.tmpdir(),
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "warn",
        PAYMENT_PROVIDER_URL: "http://127.0.0.1:9",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    dev.stdout?.on("data", keep);
    dev.stderr?.on("data", keep);
    await serves(MESSAGE);
  }, 120_000);

  afterAll(async () => {
    if (dev?.exitCode === null) {
      const exited = new Promise((resolve) => dev.once("exit", resolve));
      dev.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (dev.exitCode === null) dev.kill("SIGKILL");
    }
    await rm(scratch, { recursive: true, force: true });
  });

  it("serves a saved change and keeps the data written before it", async () => {
    const created = await postJson(base, "/invoices", { InvoiceId: "kept-across-saves", Value: 1.5, Currency: "EUR" });
    expect(created.status).toBe(201);

    await writeFile(path.join(scratch, "invoice-app", ROUTES), source.replace(MESSAGE, `${MESSAGE} (edited)`));
    await serves(`${MESSAGE} (edited)`);

    const list = await request(base, "/invoices");
    expect(list.body).toEqual(expect.arrayContaining([expect.objectContaining({ InvoiceId: "kept-across-saves" })]));
  });

  it("waits after a save that does not compile, and recovers with the next one", async () => {
    const file = path.join(scratch, "invoice-app", ROUTES);
    await writeFile(file, `${source}\nexport const broken = ;\n`);
    await waitFor(async () => (output.includes("not running") ? true : undefined), {
      timeoutMs: 30_000,
      what: "the dev host to report the broken save",
    });
    expect(dev.exitCode).toBeNull();

    await writeFile(file, source.replace(MESSAGE, `${MESSAGE} (fixed)`));
    await serves(`${MESSAGE} (fixed)`);
    const list = await request(base, "/invoices");
    expect(list.body).toEqual(expect.arrayContaining([expect.objectContaining({ InvoiceId: "kept-across-saves" })]));
  });

  it("replaces a start that never finishes with the next save", async () => {
    const file = path.join(scratch, "invoice-app", ROUTES);
    const starts = output.split("ready in").length;
    await writeFile(file, `${source}\nawait new Promise(() => {});\n`);
    await waitFor(async () => (output.includes("routes.ts changed") ? true : undefined), {
      timeoutMs: 30_000,
      what: "the dev host to see the save",
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(output.split("ready in").length).toBe(starts); // it hangs
    await writeFile(file, source.replace(MESSAGE, `${MESSAGE} (unstuck)`));
    await serves(`${MESSAGE} (unstuck)`);
  });

  it("stops on SIGTERM with exit code 0", async () => {
    const exited = new Promise<number | null>((resolve) => dev.once("exit", (code) => resolve(code)));
    dev.kill("SIGTERM");
    expect(await exited).toBe(0);
  });
});
