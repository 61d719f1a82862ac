// scripts/init.sh against stub docker/minikube/kubectl/skaffold/kustomize in a sandbox PATH: the real tools are
// neither needed nor touched. Proves the start flags, idempotency, the runtime guard and the install hints.
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { basicUtilities, repoRoot, run, tempDir, writeExecutable } from "./lib.js";

const script = join(repoRoot, "scripts", "init.sh");

// Each stub appends "<tool> <args>" to $STUB_LOG; minikube keeps its state (running, addons) in $STUB_STATE.
const stubs: Record<string, string> = {
  docker: `case "$1" in
  info) exit 0 ;;
  version) echo 28.1.1 ;;
esac`,
  minikube: `case "$1" in
  status)
    if [[ -f "$STUB_STATE/running" ]]; then
      [[ "$*" == *--format* ]] && echo "Running/Running/Running" || echo "host: Running"
      exit 0
    fi
    [[ "$*" == *--format* ]] && echo "Stopped/Stopped/Stopped"
    exit 7 ;;
  start) touch "$STUB_STATE/running" ;;
  addons)
    if [[ "$2" == list ]]; then
      out='{' sep=''
      for a in dashboard ingress ingress-dns metrics-server; do
        s=disabled; [[ -f "$STUB_STATE/addon-$a" ]] && s=enabled
        out+="$sep\\"$a\\":{\\"Profile\\":\\"minikube\\",\\"Status\\":\\"$s\\"}"; sep=','
      done
      echo "$out}"
    elif [[ "$2" == enable ]]; then
      touch "$STUB_STATE/addon-$3"
    fi ;;
  ip) echo 192.168.49.2 ;;
  version) echo v1.37.0 ;;
esac`,
  kubectl: `case "$*" in
  *"get nodes -o jsonpath"*) printf '%s' "\${STUB_RUNTIME:-docker://28.1.1}" ;;
  *"config current-context"*) echo minikube ;;
  *"version --client"*) echo "Client Version: v1.32.4" ;;
esac
exit 0`,
  skaffold: `case "$1" in
  schema) printf '%s\\n' \${STUB_SCHEMAS:-skaffold/v4beta13 skaffold/v4beta14} ;;
  version) echo v2.19.0 ;;
esac`,
  kustomize: `echo v5.5.0`,
  // Downloads must never happen without --install: a call fails the run and shows up in the log.
  curl: "exit 99",
};

let dir: string;
let log: string;

function sandbox(omit: readonly string[] = []): NodeJS.ProcessEnv {
  const stubDir = join(dir, "stubs");
  for (const [tool, body] of Object.entries(stubs)) {
    if (!omit.includes(tool)) {
      writeExecutable(join(stubDir, tool), `#!/usr/bin/env bash\necho "${tool} $*" >> "$STUB_LOG"\n${body}\n`);
    }
  }
  const bin = basicUtilities(join(dir, "bin"));
  return {
    PATH: `${stubDir}:${bin}`,
    HOME: join(dir, "home"),
    STUB_LOG: log,
    STUB_STATE: dir,
    NO_COLOR: "1",
  };
}

function calls(): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
}

beforeEach(() => {
  dir = tempDir("init-test");
  log = join(dir, "calls.log");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("scripts/init.sh", () => {
  it("starts minikube with the docker driver and runtime, enables the addons, waits, prints next steps", async () => {
    const result = await run("bash", [script], { env: sandbox() });
    expect(result.code, result.output).toBe(0);
    const log = calls();
    const start = log.filter((c) => c.startsWith("minikube start"));
    expect(start).toEqual([
      "minikube start -p minikube --driver=docker --container-runtime=docker --cpus=4 --memory=8192 --disk-size=30g",
    ]);
    for (const addon of ["ingress", "ingress-dns", "metrics-server"]) {
      expect(log, addon).toContain(`minikube addons enable ${addon} -p minikube`);
    }
    const waits = log.filter((c) => c.startsWith("kubectl --context minikube wait"));
    expect(waits.join("\n")).toMatch(/condition=Ready node --all/);
    expect(waits.join("\n")).toMatch(
      /-n ingress-nginx --for=condition=Ready pod -l app.kubernetes.io\/component=controller/,
    );
    expect(waits.join("\n")).toMatch(/deployment\/metrics-server/);
    expect(log.some((c) => c.startsWith("curl"))).toBe(false);
    expect(result.stderr).toContain("make dev");
    expect(result.stderr).toContain("make e2e");
  });

  it("is idempotent: a second run neither restarts minikube nor re-enables addons", async () => {
    const env = sandbox();
    expect((await run("bash", [script], { env })).code).toBe(0);
    writeFileSync(log, "");
    const second = await run("bash", [script], { env });
    expect(second.code, second.output).toBe(0);
    expect(calls().filter((c) => c.startsWith("minikube start") || c.includes("addons enable"))).toEqual([]);
    expect(second.stderr).toContain("already running");
  });

  it("takes CPUs, memory and profile from flags and environment, and uses that kube-context", async () => {
    const env = { ...sandbox(), MINIKUBE_MEMORY: "12g", MINIKUBE_KUBERNETES_VERSION: "v1.32.0" };
    const result = await run("bash", [script, "--profile", "dev1", "--cpus", "6"], { env });
    expect(result.code, result.output).toBe(0);
    expect(calls()).toContain(
      "minikube start -p dev1 --driver=docker --container-runtime=docker --cpus=6 --memory=12g --disk-size=30g --kubernetes-version=v1.32.0",
    );
    const kubectl = calls().filter((c) => c.startsWith("kubectl") && !c.includes("version"));
    expect(kubectl.length).toBeGreaterThan(0);
    expect(kubectl.every((c) => c.startsWith("kubectl --context dev1 "))).toBe(true);
  });

  it("refuses a cluster that runs another container runtime (images could not be built into it)", async () => {
    const env = { ...sandbox(), STUB_RUNTIME: "containerd://1.7.0" };
    const result = await run("bash", [script], { env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("runs container runtime 'containerd://1.7.0', not docker");
  });

  it("lists each missing tool with how to install it, downloads nothing without consent and fails", async () => {
    const result = await run("bash", [script], { env: sandbox(["skaffold", "minikube", "kustomize"]) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("skaffold: not found");
    expect(result.stderr).toContain("https://skaffold.dev/docs/install/");
    expect(result.stderr).toContain("minikube: not found");
    expect(result.stderr).toContain("https://minikube.sigs.k8s.io/docs/start/");
    expect(result.stderr).toContain("kustomize: not found (optional");
    expect(result.stderr).toContain("scripts/init.sh --install");
    expect(result.stderr).toMatch(/missing: minikube skaffold/);
    expect(calls().some((c) => c.startsWith("curl") || c.startsWith("minikube start"))).toBe(false);
  });

  it("fails when skaffold is too old to read skaffold/v4beta14", async () => {
    const env = { ...sandbox(), STUB_SCHEMAS: "skaffold/v4beta11 skaffold/v4beta13" };
    const result = await run("bash", [script, "--check"], { env });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("does not know skaffold/v4beta14");
  });

  it("--doctor reports and never fails, even with nothing installed", async () => {
    const result = await run("bash", [script, "--doctor"], {
      env: sandbox(["docker", "minikube", "kubectl", "skaffold", "kustomize"]),
    });
    expect(result.code, result.output).toBe(0);
    expect(result.stderr).toContain("minikube: not installed");
    expect(result.stderr).toContain("kubectl: not installed");
  });

  it("rejects unknown arguments and bad numbers", async () => {
    const env = sandbox();
    expect((await run("bash", [script, "--frobnicate"], { env })).code).not.toBe(0);
    const bad = await run("bash", [script, "--cpus", "many"], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--cpus/MINIKUBE_CPUS must be a number");
  });
});
