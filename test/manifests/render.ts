// Renders the kustomize overlays with the real kustomize (the `kustomize` binary when installed, else the copy built
// into `kubectl kustomize`) and parses the output into plain objects.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import type { K8sObject } from "./k8s.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type Overlay = "local" | "prod";
export const overlays: readonly Overlay[] = ["local", "prod"];

export interface KustomizeCommand {
  readonly command: string;
  readonly args: readonly string[];
}

function runs(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { stdio: "ignore", timeout: 30_000 });
  return result.error === undefined && result.status === 0;
}

let detected: KustomizeCommand | undefined;

/** `kustomize build` when a kustomize binary is on PATH, else `kubectl kustomize`; throws when neither exists. */
export function kustomizeCommand(): KustomizeCommand {
  if (detected) return detected;
  if (runs("kustomize", ["version"])) detected = { command: "kustomize", args: ["build"] };
  else if (runs("kubectl", ["kustomize", "--help"])) detected = { command: "kubectl", args: ["kustomize"] };
  else
    throw new Error(
      "Neither `kustomize` (v5) nor `kubectl` (which embeds kustomize) is on PATH: install one of them to render " +
        "kustomize/overlays/* (scripts/init.sh --install can download both).",
    );
  return detected;
}

/** Renders a kustomization directory (relative to the repository root) to YAML text. */
export function renderText(relativeDir: string): string {
  const { command, args } = kustomizeCommand();
  const result = spawnSync(command, [...args, relativeDir], {
    cwd: repoRoot,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) throw new Error(`${command} ${args.join(" ")} ${relativeDir}: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(" ")} ${relativeDir} exited ${result.status}: ${result.stderr.trim()}`);
  return result.stdout;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses multi-document YAML into Kubernetes objects; throws on YAML errors or documents without kind/name. */
export function parseObjects(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const [index, document] of parseAllDocuments(text).entries()) {
    if (document.errors.length > 0)
      throw new Error(`${source}: YAML document ${index}: ${document.errors.map((e) => e.message).join("; ")}`);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) continue;
    if (!isRecord(value) || typeof value.apiVersion !== "string" || typeof value.kind !== "string")
      throw new Error(`${source}: document ${index} is not a Kubernetes object (apiVersion/kind missing)`);
    const metadata = value.metadata;
    if (!isRecord(metadata) || typeof metadata.name !== "string")
      throw new Error(`${source}: document ${index} (${value.kind}) has no metadata.name`);
    objects.push(value as K8sObject);
  }
  return objects;
}

const cache = new Map<Overlay, readonly K8sObject[]>();

/** The rendered overlay, parsed once per test file. Callers that mutate must work on a structuredClone. */
export function renderOverlay(overlay: Overlay): readonly K8sObject[] {
  const cached = cache.get(overlay);
  if (cached) return cached;
  const dir = `kustomize/overlays/${overlay}`;
  const objects = parseObjects(renderText(dir), dir);
  cache.set(overlay, objects);
  return objects;
}
