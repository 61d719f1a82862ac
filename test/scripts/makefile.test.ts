// The Makefile with GNU make: `make help` documents every target on one line, `make -n` works for each of them,
// and the targets with side effects are exercised for real against stubs (deploy-prod's confirmation, clean's
// CLUSTER flag, render with the real kustomize in kubectl, e2e against a fake invoice-app).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { basicUtilities, repoRoot, run, startFakeInvoiceApp, tempDir, which, writeExecutable } from "./lib.js";

const REQUIRED = ["help", "init", "dev", "run", "deploy-prod", "render", "test", "e2e", "clean", "doctor"];
const makefile = readFileSync(join(repoRoot, "Makefile"), "utf8");
const scratch = tempDir("makefile-test");
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

if (!which("make")) throw new Error("GNU make is required for these tests (apt-get install make)");

/** Dummy settings so that nothing real is addressed even if a recipe ran. */
const dummy = ["PROD_CONTEXT=dummy-prod", "E2E_URL=http://127.0.0.1:9", `MANIFESTS_DIR=${join(scratch, "manifests")}`];

function make(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  return run("make", ["--no-print-directory", ...args], { env });
}

function helpTargets(helpOutput: string): Map<string, string> {
  const lines = helpOutput.split("\n");
  const start = lines.indexOf("Targets:");
  const targets = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === "") break;
    const match = /^ {2}(\S+)\s+(\S.*)$/.exec(line);
    if (!match?.[1] || !match[2]) throw new Error(`unexpected help line: ${line}`);
    if (targets.has(match[1])) throw new Error(`${match[1]} listed twice`);
    targets.set(match[1], match[2]);
  }
  return targets;
}

describe("Makefile", () => {
  it("`make` with no target prints the help, which lists every required target once with a description", async () => {
    const bare = await make([]);
    const help = await make(["help"]);
    expect(bare.code, bare.output).toBe(0);
    expect(bare.stdout).toBe(help.stdout);
    const targets = helpTargets(help.stdout);
    expect([...targets.keys()].sort()).toEqual([...REQUIRED].sort());
    for (const [target, description] of targets) expect(description.length, target).toBeGreaterThan(10);
  });

  it("declares every rule .PHONY and documents every rule in help", async () => {
    const phony = new Set(
      [...makefile.matchAll(/^\.PHONY:(.*)$/gm)].flatMap((m) => (m[1] ?? "").trim().split(/\s+/)).filter(Boolean),
    );
    const rules = [...makefile.matchAll(/^([a-z][a-zA-Z0-9_-]*):(?!=)/gm)].map((m) => m[1] ?? "");
    expect(rules.sort()).toEqual([...REQUIRED].sort());
    for (const rule of rules) expect(phony.has(rule), `${rule} is not .PHONY`).toBe(true);
  });

  const expectations: Record<string, RegExp> = {
    help: /awk/,
    init: /bash scripts\/init\.sh --profile "minikube"/,
    dev: /^skaffold dev --kube-context=minikube/m,
    run: /^skaffold run --kube-context=minikube/m,
    render: /kustomize\/overlays\/\$overlay/,
    "deploy-prod": /^kubectl --context="dummy-prod" apply -f ".*prod\.yaml"$/m,
    test: /^npm test$/m,
    e2e: /^bash scripts\/e2e\.sh --url "http:\/\/127\.0\.0\.1:9"$/m,
    clean: /^skaffold delete --kube-context=minikube/m,
    doctor: /scripts\/init\.sh --doctor/,
  };

  it.each(REQUIRED)("make -n %s succeeds and shows the expected command", async (target) => {
    const result = await make(["-n", target, ...dummy]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toMatch(expectations[target] ?? /^$/);
  });

  it("clean deletes the cluster only with CLUSTER=1 (CLUSTER=0 means no)", async () => {
    expect((await make(["-n", "clean", ...dummy])).stdout).not.toContain("minikube delete");
    expect((await make(["-n", "clean", "CLUSTER=0", ...dummy])).stdout).not.toContain("minikube delete");
    expect((await make(["-n", "clean", "CLUSTER=1", ...dummy])).stdout).toMatch(/^minikube delete -p "minikube"$/m);
  });

  it("run forwards ports only with PORT_FORWARD=1; PROFILE selects a Skaffold profile", async () => {
    expect((await make(["-n", "run", ...dummy])).stdout).not.toContain("--port-forward");
    const forwarded = await make(["-n", "run", "PORT_FORWARD=1", "PROFILE=ci", ...dummy]);
    expect(forwarded.stdout).toContain("--port-forward=user");
    expect(forwarded.stdout).toContain("--profile=ci");
  });

  it("render writes both overlays with kubectl's kustomize", async () => {
    const out = join(scratch, "render");
    const result = await make(["render", `MANIFESTS_DIR=${out}`, "KUSTOMIZE=/nonexistent/kustomize"]);
    expect(result.code, result.output).toBe(0);
    for (const overlay of ["local", "prod"]) {
      const file = join(out, `${overlay}.yaml`);
      expect(existsSync(file), file).toBe(true);
      expect(readFileSync(file, "utf8")).toMatch(/^kind: Deployment$/m);
    }
  });

  describe("deploy-prod", () => {
    const kubectlLog = join(scratch, "kubectl.log");
    const realKubectl = which("kubectl") ?? "kubectl";
    // Records every call; rendering goes to the real kubectl, cluster operations go nowhere.
    const stub = join(scratch, "bin", "kubectl");
    writeExecutable(
      stub,
      `#!/usr/bin/env bash\necho "$*" >> "${kubectlLog}"\n[[ "$1" == kustomize ]] && exec "${realKubectl}" "$@"\nexit 0\n`,
    );
    const withStub = [`KUBECTL=${stub}`, "KUSTOMIZE=/nonexistent/kustomize", `MANIFESTS_DIR=${join(scratch, "prod")}`];
    const logged = (): string[] => (existsSync(kubectlLog) ? readFileSync(kubectlLog, "utf8").trim().split("\n") : []);

    it("refuses without PROD_CONTEXT", async () => {
      rmSync(kubectlLog, { force: true });
      const result = await make(["deploy-prod", ...withStub]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("set PROD_CONTEXT");
      expect(logged()).toEqual([]);
    });

    it("refuses without a terminal to confirm on unless CONFIRM=yes, before touching anything", async () => {
      rmSync(kubectlLog, { force: true });
      const result = await make(["deploy-prod", "PROD_CONTEXT=dummy-prod", ...withStub]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("pass CONFIRM=yes");
      expect(logged()).toEqual([]);
    });

    it("with CONFIRM=yes renders the prod overlay, applies it to PROD_CONTEXT and waits for both rollouts", async () => {
      rmSync(kubectlLog, { force: true });
      const result = await make(["deploy-prod", "PROD_CONTEXT=dummy-prod", "CONFIRM=yes", ...withStub]);
      expect(result.code, result.output).toBe(0);
      const calls = logged();
      expect(calls[0]).toBe("kustomize kustomize/overlays/prod");
      expect(calls.slice(1)).toEqual([
        `--context=dummy-prod apply -f ${join(scratch, "prod", "prod.yaml")}`,
        "--context=dummy-prod -n invoicing rollout status deployment/invoice-app --timeout=10m",
        "--context=dummy-prod -n payments rollout status deployment/payment-provider --timeout=10m",
      ]);
    });
  });

  it("clean with CLUSTER=1 still deletes the cluster when skaffold delete fails; without it the failure counts", async () => {
    const log = join(scratch, "clean.log");
    const skaffold = join(scratch, "bin", "skaffold-failing");
    const minikube = join(scratch, "bin", "minikube-stub");
    writeExecutable(skaffold, `#!/usr/bin/env bash\necho "skaffold $*" >> "${log}"\nexit 1\n`);
    writeExecutable(minikube, `#!/usr/bin/env bash\necho "minikube $*" >> "${log}"\n`);
    const tools = [`SKAFFOLD=${skaffold}`, `MINIKUBE=${minikube}`, `MANIFESTS_DIR=${join(scratch, "clean")}`];

    const withCluster = await make(["clean", "CLUSTER=1", ...tools]);
    expect(withCluster.code, withCluster.output).toBe(0);
    expect(readFileSync(log, "utf8")).toContain("minikube delete -p minikube");

    rmSync(log, { force: true });
    const without = await make(["clean", ...tools]);
    expect(without.code).not.toBe(0);
    expect(readFileSync(log, "utf8")).not.toContain("minikube delete");
  });

  it("e2e runs scripts/e2e.sh against E2E_URL", async () => {
    const fake = await startFakeInvoiceApp({ paysAfterMs: 0 });
    try {
      const result = await make(["e2e", `E2E_URL=${fake.url}`], {
        ...process.env,
        E2E_READY_TIMEOUT: "5",
        E2E_POLL_INTERVAL: "0.1",
      });
      expect(result.code, result.output).toBe(0);
      expect(result.stdout).toContain(`e2e PASSED: 3 invoices paid via ${fake.url}`);
    } finally {
      await fake.close();
    }
  });

  it("doctor never fails, even without any of the tools", async () => {
    // PATH with basic utilities only: no docker, minikube, kubectl, skaffold or kustomize.
    const bare = basicUtilities(join(scratch, "bare-bin"));
    const result = await make(["doctor", "MINIKUBE_PROFILE=does-not-exist"], { ...process.env, PATH: bare });
    expect(result.code, result.output).toBe(0);
    for (const tool of ["docker", "minikube", "kubectl", "skaffold", "kustomize"]) {
      expect(result.stderr).toContain(`${tool}: not installed`);
    }
  });
});
