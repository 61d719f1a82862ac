// ci.yml: the jobs a pull request needs, and the same npm scripts / make targets as .ci/run.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions ${{ }} expressions and shell ${VAR} are literal text here
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  asObject,
  describeStep,
  isObject,
  loadWorkflow,
  makefileTargets,
  makeTargets,
  npmScriptCalls,
  packageScripts,
  readText,
  repoRoot,
  stepsOf,
  stringArray,
  testFiles,
} from "./lib.js";

const ci = loadWorkflow("ci.yml");
const ciScripts = ci.steps.flatMap((step) => (step.run === undefined ? [] : [step.run]));
const ciNpmCalls = ciScripts.flatMap((script) => npmScriptCalls(script));
const ciMakeTargets = ciScripts.flatMap((script) => makeTargets(script));

function runsOf(job: string): string[] {
  return stepsOf(ci, job).flatMap((step) => (step.run === undefined ? [] : [step.run.trim()]));
}

describe("ci.yml triggers and concurrency", () => {
  const on = asObject(ci.doc.on, "on");

  it("runs on every pull request and on pushes to main", () => {
    expect(Object.keys(on).sort()).toEqual(["pull_request", "push"]);
    expect(on.pull_request ?? null).toBeNull();
    const push = asObject(on.push, "on.push");
    expect(stringArray(push.branches)).toEqual(["main"]);
  });

  it("reads the repository only", () => {
    expect(ci.doc.permissions).toEqual({ contents: "read" });
    for (const [name, job] of ci.jobs) expect(job.permissions, `jobs.${name}`).toBeUndefined();
  });

  it("groups runs per pull request / ref and cancels superseded pull request runs only", () => {
    const concurrency = asObject(ci.doc.concurrency, "concurrency");
    expect(concurrency.group).toContain("github.event.pull_request.number || github.ref");
    expect(concurrency["cancel-in-progress"]).toBe("${{ github.event_name == 'pull_request' }}");
  });
});

describe("ci.yml jobs", () => {
  it("has one job per concern", () => {
    expect([...ci.jobs.keys()].sort()).toEqual(
      ["containers", "contract", "lint", "manifests", "renovate", "shellcheck", "test"].sort(),
    );
  });

  it.each([...ci.jobs.keys()])("%s sets up Node from .nvmrc with the npm cache", (job) => {
    const setup = stepsOf(ci, job).filter((step) => step.uses?.startsWith("actions/setup-node@"));
    expect(setup).toHaveLength(1);
    expect(setup[0]?.with).toEqual({ "node-version-file": ".nvmrc", cache: "npm" });
  });

  it("never hard-codes a Node version (.nvmrc is the single source)", () => {
    expect(ci.text).not.toMatch(/node-version:/);
    expect(existsSync(join(repoRoot, ".nvmrc"))).toBe(true);
  });

  it.each([...ci.jobs.keys()])("%s runs npm ci before any npm script", (job) => {
    const runs = runsOf(job);
    const firstScript = runs.findIndex((run) => npmScriptCalls(run).length > 0);
    if (firstScript < 0) return;
    expect(runs.indexOf("npm ci"), `jobs.${job}: npm ci`).toBeGreaterThanOrEqual(0);
    expect(runs.indexOf("npm ci")).toBeLessThan(firstScript);
  });

  it("lint: lint and typecheck", () => {
    expect(runsOf("lint")).toEqual(expect.arrayContaining(["npm run lint", "npm run typecheck"]));
  });

  it("test: the README's test command against a healthy PostgreSQL 15 service", () => {
    const job = asObject(ci.jobs.get("test"), "jobs.test");
    expect(runsOf("test")).toContain("npm test");
    const postgres = asObject(asObject(job.services, "services").postgres, "services.postgres");
    expect(postgres.image).toMatch(/^postgres:15([-.@]|$)/);
    expect(String(postgres.options)).toMatch(/--health-cmd "pg_isready/);
    const env = asObject(postgres.env, "services.postgres.env");
    const url = new URL(String(asObject(job.env, "jobs.test.env").TEST_DATABASE_URL));
    expect(url.protocol).toBe("postgres:");
    expect(url.hostname).toBe("localhost");
    expect(url.username).toBe(env.POSTGRES_USER);
    expect(url.password).toBe(env.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${String(env.POSTGRES_DB)}`);
    expect(stringArray(postgres.ports)).toContain(`${url.port}:5432`);
  });

  it("contract: the contract suite alone, so a broken contract is its own red check", () => {
    expect(runsOf("contract")).toContain("npm run test:contract");
  });

  it("manifests: both overlays rendered and the platform tests run", () => {
    const runs = runsOf("manifests");
    expect(runs).toContain("make render");
    expect(runs).toContain("npm run test:platform");
    expect(runs.join("\n")).toMatch(/kustomize version/);
  });

  it("shellcheck: the platform suite's shell script tests", () => {
    const calls = runsOf("shellcheck").flatMap((run) => npmScriptCalls(run));
    expect(calls.map((call) => [call.script, ...call.passThrough])).toEqual([["test:platform", "test/scripts/"]]);
  });

  it("containers: the podman build and hardened smoke run", () => {
    expect(runsOf("containers")).toContain("npm run test:containers");
  });

  it("renovate: validates renovate.json with Renovate's own validator", () => {
    expect(runsOf("renovate").join("\n")).toMatch(
      /npx --yes --package renovate@\d+\.\d+\.\d+ -- renovate-config-validator --strict/,
    );
  });
});

describe("ci.yml calls only what exists", () => {
  it("finds the npm scripts it calls", () => {
    expect(ciNpmCalls.length).toBeGreaterThan(0);
  });

  it.each([...new Set(ciNpmCalls.map((call) => call.script))])("npm script %s exists in package.json", (script) => {
    expect(
      Object.keys(packageScripts()),
      `ci.yml runs "npm run ${script}" but package.json has no such script`,
    ).toContain(script);
  });

  it.each([...new Set(ciMakeTargets)])("make target %s exists in the Makefile", (target) => {
    const makefile = join(repoRoot, "Makefile");
    expect(existsSync(makefile), `ci.yml runs "make ${target}" but there is no Makefile`).toBe(true);
    expect([...makefileTargets(readText(makefile))]).toContain(target);
  });

  it("passes only test-file filters that select at least one test file", () => {
    const files = testFiles();
    for (const call of ciNpmCalls) {
      const script = packageScripts()[call.script] ?? "";
      if (!/\bvitest\b/.test(script)) continue;
      for (const filter of call.passThrough.filter((arg) => !arg.startsWith("-"))) {
        expect(
          files.filter((file) => file.includes(filter)),
          `"${call.command}" selects no test file (the shell script tests belong in test/scripts/)`,
        ).not.toEqual([]);
      }
    }
  });
});

describe("ci.yml and .ci/run stay in step", () => {
  const ciRun = join(repoRoot, ".ci", "run");

  it("has a .ci/run to compare with", () => {
    expect(
      existsSync(ciRun),
      ".ci/run does not exist yet: the local CI entry point must exist so ci.yml can be checked against it",
    ).toBe(true);
  });

  it.runIf(existsSync(ciRun))("runs every npm script and make target that .ci/run runs", () => {
    const local = readText(ciRun);
    const localScripts = new Set(npmScriptCalls(local).map((call) => call.script));
    expect(localScripts.size, ".ci/run calls no npm script").toBeGreaterThan(0);
    const remoteScripts = new Set(ciNpmCalls.map((call) => call.script));
    const missingScripts = [...localScripts].filter((script) => !remoteScripts.has(script));
    expect(missingScripts, "npm scripts .ci/run calls but ci.yml does not").toEqual([]);
    const remoteTargets = new Set(ciMakeTargets);
    const missingTargets = makeTargets(local).filter((target) => !remoteTargets.has(target));
    expect(missingTargets, "make targets .ci/run calls but ci.yml does not").toEqual([]);
  });

  it.runIf(existsSync(ciRun))("gives the README test command a PostgreSQL database in both", () => {
    const local = readText(ciRun);
    expect(local).toMatch(/TEST_DATABASE_URL/);
    const testJob = ci.jobs.get("test");
    expect(isObject(testJob) && isObject(testJob.env) && "TEST_DATABASE_URL" in testJob.env).toBe(true);
  });

  it("has no step that bypasses the npm scripts to run a test runner directly", () => {
    for (const step of ci.steps) {
      if (step.run === undefined) continue;
      expect(step.run, describeStep(step)).not.toMatch(/\b(npx\s+)?(vitest|tsc|biome)\b/);
    }
  });
});
