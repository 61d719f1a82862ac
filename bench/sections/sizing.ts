import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import { repoRoot, SERVICES, type Service, settings } from "../lib/config.js";
import { fmt, type Report } from "../lib/report.js";
import type { UsageLog } from "./usage.js";

const MI = 2 ** 20;

export interface Resources {
  requests: { cpu: string; memory: string };
  limits: { cpu: string; memory: string };
}

/** The headroom rule, also written next to the values in the manifests. */
export const RULE =
  "requests.cpu = p50 CPU under the payment load (N=10,000), rounded up to 50m; requests.memory = p50 RSS under " +
  "that load, rounded up to 16Mi; limits.memory = peak RSS under every bench load x 1.5, rounded up to 32Mi; " +
  "limits.cpu = p95 of the CPU samples under every bench load, rounded up to whole cores (one event loop: the " +
  "limit only stops a runaway)";

const roundUp = (value: number, step: number) => Math.ceil(value / step) * step;

export function recommend(usage: UsageLog, service: Service, phase: string): Resources | undefined {
  if (usage.of(service, phase).length === 0) return undefined;
  const cpuRequest = Math.max(50, roundUp(usage.cpuP50(service, phase) * 1000, 50));
  const memoryRequest = roundUp(usage.rssP50(service, phase) / MI, 16);
  const memoryLimit = roundUp((usage.peakRss(service) * 1.5) / MI, 32);
  const cpuLimit = Math.max(1, Math.ceil(usage.cpuP95(service) - 0.05));
  return {
    requests: { cpu: `${cpuRequest}m`, memory: `${memoryRequest}Mi` },
    limits: { cpu: String(cpuLimit), memory: `${memoryLimit}Mi` },
  };
}

const manifestPath = (service: Service) => path.join(repoRoot, "kustomize/base", service, "deployment.yaml");

export function manifestResources(service: Service): Resources {
  const doc = parseDocument(readFileSync(manifestPath(service), "utf8"));
  const resources = doc.getIn(["spec", "template", "spec", "containers", 0, "resources"]) as
    | { toJSON(): Resources }
    | undefined;
  if (resources === undefined) throw new Error(`${manifestPath(service)}: no resources`);
  return resources.toJSON();
}

const cpuMillis = (value: string) => (value.endsWith("m") ? Number(value.slice(0, -1)) : Number(value) * 1000);
const memoryMi = (value: string) =>
  value.endsWith("Mi")
    ? Number(value.slice(0, -2))
    : value.endsWith("Gi")
      ? Number(value.slice(0, -2)) * 1024
      : Number(value) / MI;

/**
 * Same figure within a third (and one rounding step): on a shared machine CPU shares and RSS under load (which
 * depends on when V8 runs its major GCs) vary that much between runs, and that alone is not a mismatch.
 */
function close(manifest: Resources, recommended: Resources): boolean {
  const near = (a: number, b: number, step: number) => Math.abs(a - b) <= Math.max(step, 0.34 * b);
  return (
    near(cpuMillis(manifest.requests.cpu), cpuMillis(recommended.requests.cpu), 50) &&
    near(memoryMi(manifest.requests.memory), memoryMi(recommended.requests.memory), 16) &&
    near(memoryMi(manifest.limits.memory), memoryMi(recommended.limits.memory), 32) &&
    cpuMillis(manifest.limits.cpu) >= cpuMillis(recommended.limits.cpu)
  );
}

/** Replaces the four values inside the container's `resources:` block, leaving every other byte as it was. */
function writeManifest(service: Service, resources: Resources): void {
  const file = manifestPath(service);
  const lines = readFileSync(file, "utf8").split("\n");
  const start = lines.findIndex((line) => /^\s+resources:\s*$/.test(line));
  if (start === -1) throw new Error(`${file}: no resources block`);
  const indent = (lines[start] ?? "").search(/\S/);
  let section: "requests" | "limits" | undefined;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() !== "" && line.search(/\S/) <= indent) break;
    const key = /^\s+(requests|limits|cpu|memory):\s*(.*)$/.exec(line);
    if (key === null) continue;
    if (key[1] === "requests" || key[1] === "limits") section = key[1];
    else if (section !== undefined) {
      const value = resources[section][key[1] as "cpu" | "memory"];
      lines[i] = line.replace(/:\s*.*$/, `: ${/^\d+$/.test(value) ? `"${value}"` : value}`);
    }
  }
  writeFileSync(file, lines.join("\n"));
}

/** 5. Requests and limits from the measurements, compared with (or, with BENCH_WRITE_MANIFESTS=1, written to) the base manifests. */
export function sizingSection(report: Report, usage: UsageLog, phase: string): void {
  const area = "5 Resources (kustomize/base)";
  for (const service of SERVICES) {
    const measure = `${service} requests / limits`;
    if (settings.databaseUrl === undefined) {
      report.skipped(area, measure, "manifest = measurement", "the cluster runs on PostgreSQL: set BENCH_DATABASE_URL");
      continue;
    }
    const recommended = recommend(usage, service, phase);
    if (recommended === undefined) {
      report.skipped(area, measure, "manifest = measurement", `no ${phase} measurement in this run`);
      continue;
    }
    const show = (r: Resources) => `cpu ${r.requests.cpu}/${r.limits.cpu}, mem ${r.requests.memory}/${r.limits.memory}`;
    if (settings.writeManifests) writeManifest(service, recommended);
    const manifest = manifestResources(service);
    report.add({
      area,
      measure,
      measured: show(recommended),
      target: `manifest: ${show(manifest)}`,
      verdict: close(manifest, recommended) ? "pass" : "miss",
      note:
        (settings.writeManifests ? "written to the manifest; " : "") +
        `idle RSS ${fmt.mb(usage.idleRss.get(service) ?? Number.NaN)}, peak RSS ${fmt.mb(usage.peakRss(service))}`,
    });
  }
  report.notes.push(`resource rule: ${RULE}`);
}
