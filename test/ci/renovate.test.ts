// renovate.json: grouped npm updates, digest-pinned actions and images, lock file maintenance,
// a schedule. Renovate's own validator runs too when one is installed (see renovateValidatorPath).
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  asObject,
  type JsonObject,
  readText,
  renovateValidator,
  renovateValidatorPath,
  repoRoot,
  stringArray,
} from "./lib.js";

const configPath = join(repoRoot, "renovate.json");
const config = asObject(JSON.parse(readText(configPath)), "renovate.json");
const extendsList = stringArray(config.extends);
const rules: JsonObject[] = (Array.isArray(config.packageRules) ? config.packageRules : []).map((rule: unknown, i) =>
  asObject(rule, `packageRules[${i}]`),
);
const scratch = mkdtempSync(join(tmpdir(), "ci-renovate-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function updateTypes(rule: JsonObject): string[] {
  return stringArray(rule.matchUpdateTypes);
}

describe("renovate.json", () => {
  it("is the only Renovate or Dependabot config", () => {
    const others = [
      "renovate.json5",
      ".renovaterc",
      ".renovaterc.json",
      ".renovaterc.json5",
      ".github/renovate.json",
      ".github/renovate.json5",
      ".gitlab/renovate.json",
      ".github/dependabot.yml",
      ".github/dependabot.yaml",
    ].filter((file) => existsSync(join(repoRoot, file)));
    expect(others).toEqual([]);
  });

  it("declares the schema", () => {
    expect(config.$schema).toBe("https://docs.renovatebot.com/renovate-schema.json");
  });

  it("pins GitHub Actions and container images by digest", () => {
    expect(extendsList).toEqual(expect.arrayContaining(["helpers:pinGitHubActionDigests", "docker:pinDigests"]));
  });

  it("runs on a schedule, with weekly lock file maintenance", () => {
    expect(extendsList.some((preset) => preset.startsWith("schedule:")) || "schedule" in config).toBe(true);
    expect(asObject(config.lockFileMaintenance, "lockFileMaintenance").enabled).toBe(true);
    expect(extendsList).toContain(":maintainLockFilesWeekly");
  });

  it("groups npm minor and patch updates into one pull request", () => {
    const group = rules.find((rule) => stringArray(rule.matchDatasources).includes("npm") && rule.groupName);
    expect(group, "an npm rule with a groupName").toBeDefined();
    expect(group && updateTypes(group)).toEqual(expect.arrayContaining(["minor", "patch"]));
    expect(group && updateTypes(group)).not.toContain("major");
  });

  it("keeps npm majors out of any group", () => {
    expect(config.separateMajorMinor).not.toBe(false);
    const majorRules = rules.filter(
      (rule) => stringArray(rule.matchDatasources).includes("npm") && updateTypes(rule).includes("major"),
    );
    expect(majorRules.length).toBeGreaterThan(0);
    for (const rule of majorRules) expect(rule.groupName).toBeUndefined();
  });

  it("keeps action and image updates current, grouped", () => {
    const actions = rules.find((rule) => stringArray(rule.matchManagers).includes("github-actions"));
    expect(actions?.groupName).toBeTruthy();
    const images = rules.find((rule) => stringArray(rule.matchDatasources).includes("docker") && rule.groupName);
    expect(images?.pinDigests).toBe(true);
    expect(images && updateTypes(images)).toEqual(expect.arrayContaining(["digest", "pinDigest"]));
  });

  it("leaves the services' own images to the release workflow", () => {
    const own = rules.find(
      (rule) => rule.enabled === false && stringArray(rule.matchDepNames).some((name) => name.includes("invoice-app")),
    );
    expect(own, "a rule disabling invoice-app / payment-provider").toBeDefined();
    const patterns = stringArray(own?.matchDepNames).map((pattern) => new RegExp(pattern.slice(1, -1)));
    for (const depName of [
      "invoice-app",
      "ghcr.io/example-org/invoice-app",
      "payment-provider",
      "r.io/a/payment-provider",
    ]) {
      expect(
        patterns.some((pattern) => pattern.test(depName)),
        depName,
      ).toBe(true);
    }
    expect(patterns.some((pattern) => pattern.test("invoice-app-helper"))).toBe(false);
  });

  it("keeps the Renovate version ci.yml validates with up to date", () => {
    const workflow = readText(join(repoRoot, ".github", "workflows", "ci.yml"));
    const managers = Array.isArray(config.customManagers) ? config.customManagers : [];
    const matchStrings = managers.flatMap((manager: unknown) => stringArray(asObject(manager, "manager").matchStrings));
    const matched = matchStrings.some((pattern) => {
      const regex = new RegExp(pattern.replace(/\(\?<(\w+)>/g, "(?<$1>"));
      return regex.exec(workflow)?.groups?.depName === "renovate";
    });
    expect(matched).toBe(true);
  });
});

const validator = renovateValidatorPath();
if (validator === undefined) {
  console.warn(
    "skipping renovate-config-validator: RENOVATE_CONFIG_VALIDATOR is unset (the package is 340 MB; the GitHub workflow runs it)",
  );
}

describe.skipIf(validator === undefined)("renovate-config-validator", () => {
  it("accepts renovate.json (--strict: nothing to migrate either)", () => {
    const dir = mkdtempSync(join(scratch, "good-"));
    copyFileSync(configPath, join(dir, "renovate.json"));
    const result = renovateValidator(validator ?? "", dir);
    expect(result.output).toMatch(/Config validated successfully/);
    expect(result.status, result.output).toBe(0);
  });

  it("rejects a broken copy", () => {
    const dir = mkdtempSync(join(scratch, "bad-"));
    writeFileSync(join(dir, "renovate.json"), JSON.stringify({ ...config, prConcurentLimit: 10 }));
    const result = renovateValidator(validator ?? "", dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toMatch(/prConcurentLimit/);
  });
});
