// Both GitHub workflows: schema-valid (action-validator), pinned actions, least privilege,
// no secrets or untrusted expressions in shell scripts.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: GitHub Actions ${{ }} expressions and shell ${VAR} are literal text here
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actionValidator, describeStep, isObject, loadWorkflow, usesLines, workflowsDir } from "./lib.js";

const workflowFiles = ["ci.yml", "release.yml"] as const;
const scratch = mkdtempSync(join(tmpdir(), "ci-workflows-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("workflow files", () => {
  it("are exactly the reviewed ones", () => {
    const present = readdirSync(workflowsDir).filter((file) => /\.ya?ml$/.test(file));
    expect(present.sort()).toEqual([...workflowFiles].sort());
  });
});

describe.each(workflowFiles)("%s", (fileName) => {
  const workflow = loadWorkflow(fileName);

  it("passes action-validator (GitHub workflow JSON schema)", () => {
    const result = actionValidator(workflow.file);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  // The validator is only worth something if it rejects broken workflows.
  it.each([
    ["a misspelt job key", (text: string) => text.replace(/^( {4})runs-on:/m, "$1runs_on:")],
    ["a non-numeric timeout", (text: string) => text.replace(/timeout-minutes: \d+/, "timeout-minutes: soon")],
    ["an unknown permission level", (text: string) => text.replace(/: (read|write)\b/, ": admin")],
    ["a missing trigger", (text: string) => text.replace(/^on:/m, "triggers:")],
  ])("fails action-validator when given %s", (_label, breakIt) => {
    const broken = breakIt(workflow.text);
    expect(broken).not.toBe(workflow.text);
    const file = join(scratch, `broken-${Math.random().toString(36).slice(2)}-${fileName}`);
    writeFileSync(file, broken);
    const result = actionValidator(file);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('"errors"');
  });

  it("pins every action to a full commit SHA with a version comment", () => {
    const refs = usesLines(workflow.text);
    expect(refs.length).toBeGreaterThan(0);
    for (const { ref, comment, line } of refs) {
      if (ref.startsWith("./")) continue;
      const where = `${fileName}:${line} ${ref}`;
      if (ref.startsWith("docker://")) {
        expect(ref, where).toMatch(/@sha256:[0-9a-f]{64}$/);
        continue;
      }
      expect(ref, where).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/);
      expect(comment, `${where} needs a "# vX.Y.Z" comment`).toMatch(/^v\d+(\.\d+){0,2}\b/);
    }
    // Every `uses:` the YAML parser sees was covered by the line scan above.
    const scanned = new Set(refs.map((entry) => entry.ref));
    for (const step of workflow.steps) if (step.uses) expect(scanned, describeStep(step)).toContain(step.uses);
  });

  it("declares top-level permissions and never grants write-all", () => {
    expect(workflow.doc, "top-level permissions").toHaveProperty("permissions");
    const top = workflow.doc.permissions;
    expect(top === "read-all" || isObject(top), "top-level permissions is a mapping").toBe(true);
    if (isObject(top)) for (const level of Object.values(top)) expect(level).not.toBe("write");
    for (const [name, job] of workflow.jobs) {
      expect(job.permissions, `jobs.${name}.permissions`).not.toBe("write-all");
    }
    expect(workflow.text).not.toMatch(/write-all/);
  });

  it("sets a concurrency group", () => {
    const concurrency = workflow.doc.concurrency;
    expect(isObject(concurrency)).toBe(true);
    if (isObject(concurrency)) {
      expect(concurrency.group).toEqual(expect.stringContaining("github."));
      expect(concurrency).toHaveProperty("cancel-in-progress");
    }
  });

  it("gives every job a runner, a timeout and a pinned ubuntu image", () => {
    for (const [name, job] of workflow.jobs) {
      expect(job["runs-on"], `jobs.${name}.runs-on`).toMatch(/^ubuntu-\d+\.\d+$/);
      const timeout = job["timeout-minutes"];
      expect(typeof timeout === "number" && timeout > 0 && timeout <= 60, `jobs.${name}.timeout-minutes`).toBe(true);
    }
  });

  it("checks out without persisting the token", () => {
    for (const step of workflow.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))) {
      expect(step.with["persist-credentials"], describeStep(step)).toBe(false);
    }
  });

  it("keeps ${{ }} expressions and secrets out of shell scripts", () => {
    for (const step of workflow.steps) {
      if (step.run === undefined) continue;
      // Values reach scripts through env: nothing is spliced into the shell source.
      expect(step.run, describeStep(step)).not.toContain("${{");
      expect(step.run, describeStep(step)).not.toMatch(/\bset\s+-x\b|\bprintenv\b|^\s*env\s*$/m);
    }
  });

  it("uses secrets only as inputs of the login and pull-request actions", () => {
    const allowed = /^(docker\/login-action|peter-evans\/create-pull-request)@/;
    let inAllowedInputs = 0;
    for (const step of workflow.steps) {
      const inputs = JSON.stringify(step.with);
      const count = inputs.match(/secrets\./g)?.length ?? 0;
      if (count > 0) expect(step.uses ?? "", describeStep(step)).toMatch(allowed);
      inAllowedInputs += count;
      expect(JSON.stringify(step.env), `${describeStep(step)} env`).not.toContain("secrets.");
    }
    const total = workflow.text
      .split("\n")
      .filter((line) => !/^\s*#/.test(line))
      .join("\n")
      .match(/secrets\./g);
    expect(total?.length ?? 0).toBe(inAllowedInputs);
  });
});
