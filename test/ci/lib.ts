// Helpers for the CI/CD configuration tests: load the workflows as plain data, list their
// steps, and find the npm scripts / make targets a shell script invokes.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const workflowsDir = join(repoRoot, ".github", "workflows");

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function asObject(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function asString(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

export function stringArray(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
}

export function readText(path: string): string {
  return readFileSync(path, "utf8");
}

export interface Step {
  readonly job: string;
  readonly index: number;
  readonly id: string | undefined;
  readonly name: string | undefined;
  readonly uses: string | undefined;
  readonly run: string | undefined;
  readonly with: JsonObject;
  readonly env: JsonObject;
  readonly workingDirectory: string | undefined;
}

export interface Workflow {
  readonly file: string;
  readonly text: string;
  readonly doc: JsonObject;
  readonly jobs: ReadonlyMap<string, JsonObject>;
  readonly steps: readonly Step[];
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

export function loadWorkflow(fileName: string): Workflow {
  const file = join(workflowsDir, fileName);
  const text = readText(file);
  const doc = asObject(parseYaml(text), fileName);
  const jobsNode = asObject(doc.jobs, `${fileName}: jobs`);
  const jobs = new Map<string, JsonObject>();
  const steps: Step[] = [];
  for (const [jobName, jobValue] of Object.entries(jobsNode)) {
    const job = asObject(jobValue, `${fileName}: jobs.${jobName}`);
    jobs.set(jobName, job);
    const jobSteps = Array.isArray(job.steps) ? job.steps : [];
    jobSteps.forEach((stepValue: unknown, index: number) => {
      const step = asObject(stepValue, `${fileName}: jobs.${jobName}.steps[${index}]`);
      steps.push({
        job: jobName,
        index,
        id: optionalString(step.id),
        name: optionalString(step.name),
        uses: optionalString(step.uses),
        run: optionalString(step.run),
        with: isObject(step.with) ? step.with : {},
        env: isObject(step.env) ? step.env : {},
        workingDirectory: optionalString(step["working-directory"]),
      });
    });
  }
  return { file, text, doc, jobs, steps };
}

export function stepsOf(workflow: Workflow, job: string): Step[] {
  return workflow.steps.filter((step) => step.job === job);
}

export function describeStep(step: Step): string {
  return `jobs.${step.job}.steps[${step.index}]${step.name ? ` (${step.name})` : ""}`;
}

/** The `uses:` references written in a workflow, with the trailing `# comment` of their line. */
export function usesLines(text: string): { ref: string; comment: string | undefined; line: number }[] {
  const found: { ref: string; comment: string | undefined; line: number }[] = [];
  text.split("\n").forEach((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(?:#\s*(.*))?$/.exec(line);
    if (match?.[1]) found.push({ ref: match[1], comment: match[2]?.trim(), line: index + 1 });
  });
  return found;
}

// ---------------------------------------------------------------------------------------------
// Shell command parsing (enough for CI scripts: no eval, no here-docs spanning commands)

export interface NpmScriptCall {
  readonly script: string;
  /** Arguments after `--`, passed on to the script's command. */
  readonly passThrough: readonly string[];
  readonly command: string;
}

/** Remove comments and join backslash-continued lines. */
function shellLines(script: string): string[] {
  return script
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, "").trim())
    .filter((line) => line.length > 0);
}

/** Simple commands of a script, each as its list of words (quotes removed). */
export function shellCommands(script: string): string[][] {
  const commands: string[][] = [];
  for (const line of shellLines(script)) {
    for (const part of line.split(/&&|\|\||[;|&()`]|\$\(/)) {
      const words = (part.match(/"[^"]*"|'[^']*'|\S+/g) ?? []).map((word) => word.replace(/^["']|["']$/g, ""));
      if (words.length > 0) commands.push(words);
    }
  }
  return commands;
}

const npmFlagsWithValue = new Set(["-w", "--workspace", "--prefix", "-C", "--loglevel"]);
const npmScriptAliases: Readonly<Record<string, string>> = { test: "test", t: "test", tst: "test", start: "start" };

/** Every `npm run <script>`, `npm run-script <script>`, `npm test` / `npm t`, `npm start` in a script. */
export function npmScriptCalls(script: string): NpmScriptCall[] {
  const calls: NpmScriptCall[] = [];
  for (const words of shellCommands(script)) {
    const at = words.indexOf("npm");
    if (at < 0) continue;
    const rest: string[] = [];
    for (let i = at + 1; i < words.length; i++) {
      const word = words[i] ?? "";
      if (word === "--") {
        rest.push(...words.slice(i));
        break;
      }
      if (word.startsWith("-")) {
        if (npmFlagsWithValue.has(word)) i++;
        continue;
      }
      rest.push(word);
    }
    const [verb, ...args] = rest;
    if (verb === undefined) continue;
    const dashDash = args.indexOf("--");
    const passThrough = dashDash >= 0 ? args.slice(dashDash + 1) : [];
    const command = words.slice(at).join(" ");
    if (verb === "run" || verb === "run-script" || verb === "rum" || verb === "urn") {
      const script = args[0];
      if (script !== undefined && script !== "--") calls.push({ script, passThrough, command });
    } else if (npmScriptAliases[verb] !== undefined) {
      calls.push({ script: npmScriptAliases[verb], passThrough, command });
    }
  }
  return calls;
}

/** Every target named on a `make` command line (variables `A=b` and flags skipped). */
export function makeTargets(script: string): string[] {
  const targets: string[] = [];
  for (const words of shellCommands(script)) {
    const at = words.findIndex((word) => word === "make" || word.endsWith("/make"));
    // `command -v make` / `type make` look the tool up; they do not run a target
    if (at < 0 || words[at - 1] === "-v" || words[at - 1] === "type") continue;
    for (let i = at + 1; i < words.length; i++) {
      const word = words[i] ?? "";
      if (word === "-C" || word === "-f" || word === "-j") {
        i++;
        continue;
      }
      if (word.startsWith("-") || word.includes("=")) continue;
      targets.push(word);
    }
  }
  return targets;
}

/** Targets a Makefile defines (explicit rules, not pattern rules or special targets). */
export function makefileTargets(makefile: string): Set<string> {
  const targets = new Set<string>();
  for (const line of makefile.split(/\r?\n/)) {
    const match = /^([A-Za-z0-9_.\-/ ]+?)\s*::?(?!=)/.exec(line);
    if (!match?.[1] || line.startsWith("\t")) continue;
    for (const target of match[1].split(/\s+/)) {
      if (target && !target.startsWith(".") && !target.includes("%")) targets.add(target);
    }
  }
  return targets;
}

export function packageScripts(): Record<string, string> {
  const pkg = asObject(JSON.parse(readText(join(repoRoot, "package.json"))), "package.json");
  const scripts = asObject(pkg.scripts ?? {}, "package.json scripts");
  const result: Record<string, string> = {};
  for (const [name, command] of Object.entries(scripts)) result[name] = asString(command, `script ${name}`);
  return result;
}

/** Repository-relative paths of test files (`*.test.ts`), skipping dependencies and build output. */
export function testFiles(): string[] {
  const skip = new Set(["node_modules", "dist", ".git", ".cache", "coverage"]);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".test.ts")) files.push(relative(repoRoot, path).split(sep).join("/"));
    }
  };
  walk(repoRoot);
  return files.sort();
}

// ---------------------------------------------------------------------------------------------
// External validators

export interface ProcessResult {
  readonly status: number | null;
  readonly output: string;
}

function run(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv): ProcessResult {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", env: env ?? process.env, timeout: 120_000 });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The `action-validator` CLI of `@action-validator/cli` (Node + WASM), run on one file. */
export function actionValidator(file: string, cwd: string = repoRoot): ProcessResult {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve("@action-validator/cli/package.json");
  const manifest = asObject(JSON.parse(readText(manifestPath)), "@action-validator/cli package.json");
  const bin = isObject(manifest.bin) ? manifest.bin["action-validator"] : manifest.bin;
  const cli = join(dirname(manifestPath), asString(bin, "@action-validator/cli bin"));
  return run(process.execPath, [cli, file], cwd);
}

/**
 * Renovate's `renovate-config-validator`, when one is installed: `RENOVATE_CONFIG_VALIDATOR`
 * (path to the binary) or `node_modules/.bin/renovate-config-validator`. Renovate is too heavy
 * to be a devDependency; the `renovate` job of ci.yml runs it with npx.
 */
export function renovateValidatorPath(): string | undefined {
  const fromEnv = process.env.RENOVATE_CONFIG_VALIDATOR;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const local = join(repoRoot, "node_modules", ".bin", "renovate-config-validator");
  return existsSync(local) ? local : undefined;
}

export function renovateValidator(validator: string, cwd: string): ProcessResult {
  return run(validator, ["--strict"], cwd, { ...process.env, LOG_LEVEL: "info" });
}

export function bash(script: string, cwd: string, env: NodeJS.ProcessEnv): ProcessResult {
  return run("bash", ["-eo", "pipefail", "-c", script], cwd, env);
}
