import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort, request, waitFor } from "@invoicing/shared/testing";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinsPlugin, REQUIRE_BANNER } from "../../scripts/build/builtins-plugin.mjs";

const repoRoot = path.resolve(import.meta.dirname, "../..");
/**
 * A string from zod's German locale. `import * as z from "zod"` lets esbuild keep only the zod the services use;
 * `import { z } from "zod"` pulls in all of it, every locale included (about 550 KB more source to load and hold).
 */
const UNUSED_ZOD = "E-Mail-Adresse";
/** Built-ins that only a TLS or fetch call needs: a service that made neither must not have loaded them. */
const UNNEEDED = /^NativeModule (tls|https|http2|internal\/deps\/undici\/undici)$/;

// Answers the parent's message with the built-in modules loaded so far.
const REPORT_MODULES = "process.on('message', () => process.send(process.moduleLoadList));\n";

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(repoRoot, "test/bundle/.scratch-"));
  await writeFile(path.join(scratch, "report-modules.mjs"), REPORT_MODULES);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

function loadedModules(child: ChildProcess): Promise<string[]> {
  return new Promise((resolve) => {
    child.once("message", (list) => resolve(list as string[]));
    child.send("modules");
  });
}

describe("release bundles", () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) child.kill("SIGKILL");
  });

  it.each([
    ["invoice-app", "/invoices"],
    ["payment-provider", "/payments"],
  ])(
    "%s carries only the zod it uses and serves requests without loading TLS, http2 or fetch",
    async (service, listPath) => {
      const entry = path.join(scratch, service, "main.js");
      execFileSync(process.execPath, [path.join(repoRoot, "scripts/bundle.mjs"), service, entry], {
        cwd: path.join(repoRoot, service),
        stdio: "ignore",
      });
      expect((await readFile(entry, "utf8")).includes(UNUSED_ZOD), "zod's unused locales are bundled").toBe(false);
      const port = await freePort();
      const child = spawn(process.execPath, ["--import", path.join(scratch, "report-modules.mjs"), entry], {
        env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "warn", PORT: String(port), HOST: "127.0.0.1" },
        stdio: ["ignore", "ignore", "pipe", "ipc"],
      });
      children.push(child);
      const url = `http://127.0.0.1:${port}`;
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode}`);
          return (await request(url, "/readyz")).status === 200 ? true : undefined;
        },
        { timeoutMs: 60_000, what: `${service} to be ready` },
      );
      expect((await request(url, listPath)).status).toBe(200);
      expect((await request(url, "/metrics")).status).toBe(200);

      const modules = await loadedModules(child);
      expect(modules).toContain("NativeModule http");
      expect(modules.filter((name) => UNNEEDED.test(name))).toEqual([]);
    },
    120_000,
  );
});

describe("the bundle's handling of built-ins", () => {
  async function bundleAndRun(file: string, source: string): Promise<string> {
    const dir = await mkdtemp(path.join(scratch, "entry-"));
    await writeFile(path.join(dir, file), source);
    await build({
      entryPoints: [path.join(dir, file)],
      outfile: path.join(dir, "out.mjs"),
      bundle: true,
      platform: "node",
      format: "esm",
      banner: { js: REQUIRE_BANNER },
      plugins: [builtinsPlugin()],
      logLevel: "silent",
    });
    return execFileSync(process.execPath, [path.join(dir, "out.mjs")], { encoding: "utf8" }).trim();
  }

  const tlsLoaded = "process.moduleLoadList.includes('NativeModule tls')";

  it("gives CommonJS code a node:https that loads on first use and is the real module", async () => {
    const output = await bundleAndRun(
      "entry.cjs",
      [
        "const https = require('https');",
        `const before = ${tlsLoaded};`,
        "const request = https.request;",
        `console.log(JSON.stringify([before, ${tlsLoaded}, request === process.getBuiltinModule('node:https').request]));`,
      ].join("\n"),
    );
    expect(JSON.parse(output)).toEqual([false, true, true]);
  });

  it("loads ESM imports of node:http without its fetch-backed exports", async () => {
    const output = await bundleAndRun(
      "entry.mjs",
      [
        "import http from 'node:http';",
        "import { createServer } from 'node:http';",
        "console.log(JSON.stringify([typeof http.request, createServer === http.createServer,",
        "  process.moduleLoadList.some((m) => m.includes('undici'))]));",
      ].join("\n"),
    );
    expect(JSON.parse(output)).toEqual(["function", true, false]);
  });
});
