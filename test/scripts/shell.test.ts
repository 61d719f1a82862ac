// Every shell script passes shellcheck, parses with bash -n, and the entry points run in bash strict mode.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, run, which } from "./lib.js";

function shellScripts(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : shellScripts(path);
    return entry.name.endsWith(".sh") ? [path] : [];
  });
}

const scripts = shellScripts(join(repoRoot, "scripts"))
  .map((p) => relative(repoRoot, p))
  .sort();
const entryPoints = ["scripts/init.sh", "scripts/e2e.sh"];

describe("shell scripts", () => {
  it("include the dev-loop entry points", () => {
    for (const script of entryPoints) expect(scripts).toContain(script);
  });

  it("pass shellcheck (following sourced files)", async () => {
    const shellcheck = which("shellcheck");
    expect(
      shellcheck,
      "shellcheck is not installed: apt-get install -y shellcheck (or brew install shellcheck); .ci/run installs it",
    ).toBeDefined();
    const result = await run(shellcheck ?? "shellcheck", ["--external-sources", "--format=gcc", ...scripts]);
    expect(result.code, `shellcheck findings:\n${result.stdout}${result.stderr}`).toBe(0);
  });

  it.each(scripts)("%s parses (bash -n)", async (script) => {
    const result = await run("bash", ["-n", script]);
    expect(result.code, result.stderr).toBe(0);
  });

  it.each(entryPoints)("%s is an executable bash script in strict mode", (script) => {
    const text = readFileSync(join(repoRoot, script), "utf8");
    expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
    expect(text).toMatch(/^set -euo pipefail$/m);
    expect(statSync(join(repoRoot, script)).mode & 0o111, `chmod +x ${script}`).not.toBe(0);
  });

  it.each(entryPoints)("%s --help documents its usage and exits 0", async (script) => {
    const result = await run("bash", [script, "--help"]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain(script);
  });
});
