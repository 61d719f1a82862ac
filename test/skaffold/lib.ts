// Helpers for the Skaffold checks: load skaffold.yaml as typed data, render the kustomize overlays with the real
// tool, parse Dockerfiles into stages, and expand Skaffold sync globs against the repository's files.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments, parse as parseYaml } from "yaml";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const skaffoldPath = join(repoRoot, "skaffold.yaml");

// ---- plain-data helpers ------------------------------------------------------------------------------------------

export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export type JsonObject = { readonly [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function objectAt(value: unknown, what: string): JsonObject {
  if (!isObject(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function arrayAt(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

export function stringAt(value: unknown, what: string): string {
  if (typeof value !== "string") throw new Error(`${what}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

// ---- skaffold.yaml -----------------------------------------------------------------------------------------------

export interface SyncRule {
  readonly src: string;
  readonly dest: string;
  readonly strip: string;
}

export interface Artifact {
  /** Where the artifact is declared: "build" or "profiles.<name>.build". */
  readonly where: string;
  readonly image: string;
  readonly context: string;
  readonly dockerfile: string;
  readonly target: string | undefined;
  readonly sync: readonly SyncRule[];
}

export interface PortForward {
  readonly resourceType: string;
  readonly resourceName: string;
  readonly namespace: string | undefined;
  readonly port: number | string;
  readonly localPort: number | undefined;
}

export interface Profile {
  readonly name: string;
  readonly raw: JsonObject;
  /** Undefined when the profile does not restate the artifact list (it then inherits the base list). */
  readonly artifacts: readonly Artifact[] | undefined;
  readonly kustomizePaths: readonly string[] | undefined;
}

export interface SkaffoldConfig {
  readonly raw: JsonObject;
  readonly artifacts: readonly Artifact[];
  readonly kustomizePaths: readonly string[];
  readonly portForward: readonly PortForward[];
  readonly profiles: readonly Profile[];
}

export function readSkaffoldRaw(): unknown {
  return parseYaml(readFileSync(skaffoldPath, "utf8"));
}

function parseArtifacts(build: JsonObject, where: string): readonly Artifact[] {
  return arrayAt(build.artifacts, `${where}.artifacts`).map((value, index) => {
    const what = `${where}.artifacts[${index}]`;
    const artifact = objectAt(value, what);
    const docker = objectAt(artifact.docker, `${what}.docker`);
    const sync = isObject(artifact.sync) ? artifact.sync : {};
    const manual = Array.isArray(sync.manual) ? sync.manual : [];
    return {
      where,
      image: stringAt(artifact.image, `${what}.image`),
      context: optionalString(artifact.context) ?? ".",
      dockerfile: optionalString(docker.dockerfile) ?? "Dockerfile",
      target: optionalString(docker.target),
      sync: manual.map((ruleValue, ruleIndex) => {
        const rule = objectAt(ruleValue, `${what}.sync.manual[${ruleIndex}]`);
        return {
          src: stringAt(rule.src, `${what}.sync.manual[${ruleIndex}].src`),
          dest: stringAt(rule.dest, `${what}.sync.manual[${ruleIndex}].dest`),
          strip: optionalString(rule.strip) ?? "",
        };
      }),
    };
  });
}

function kustomizePathsOf(section: unknown): readonly string[] | undefined {
  if (!isObject(section) || !isObject(section.kustomize)) return undefined;
  return arrayAt(section.kustomize.paths, "manifests.kustomize.paths").map((p, i) =>
    stringAt(p, `manifests.kustomize.paths[${i}]`),
  );
}

export function loadSkaffold(): SkaffoldConfig {
  const raw = objectAt(readSkaffoldRaw(), "skaffold.yaml");
  const build = objectAt(raw.build, "build");
  const profiles = (Array.isArray(raw.profiles) ? raw.profiles : []).map((value, index): Profile => {
    const profile = objectAt(value, `profiles[${index}]`);
    const name = stringAt(profile.name, `profiles[${index}].name`);
    const profileBuild = isObject(profile.build) ? profile.build : undefined;
    return {
      name,
      raw: profile,
      artifacts:
        profileBuild && Array.isArray(profileBuild.artifacts)
          ? parseArtifacts(profileBuild, `profiles.${name}.build`)
          : undefined,
      kustomizePaths: kustomizePathsOf(profile.manifests),
    };
  });
  const portForward = (Array.isArray(raw.portForward) ? raw.portForward : []).map((value, index): PortForward => {
    const what = `portForward[${index}]`;
    const pf = objectAt(value, what);
    const port = pf.port;
    if (typeof port !== "number" && typeof port !== "string") throw new Error(`${what}.port: missing`);
    return {
      resourceType: stringAt(pf.resourceType, `${what}.resourceType`),
      resourceName: stringAt(pf.resourceName, `${what}.resourceName`),
      namespace: optionalString(pf.namespace),
      port,
      localPort: typeof pf.localPort === "number" ? pf.localPort : undefined,
    };
  });
  return {
    raw,
    artifacts: parseArtifacts(build, "build"),
    kustomizePaths: kustomizePathsOf(raw.manifests) ?? [],
    portForward,
    profiles,
  };
}

/** Every artifact declaration: the base list and each profile's restated list. */
export function allArtifacts(config: SkaffoldConfig): readonly Artifact[] {
  return [...config.artifacts, ...config.profiles.flatMap((p) => p.artifacts ?? [])];
}

// ---- kustomize ---------------------------------------------------------------------------------------------------

export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly raw: JsonObject;
}

const renderCache = new Map<string, readonly K8sObject[]>();

/** `kubectl kustomize <dir>` (kustomize v5 built into kubectl), parsed into objects. Throws with kubectl's stderr. */
export function renderOverlay(relativeDir: string): readonly K8sObject[] {
  const cached = renderCache.get(relativeDir);
  if (cached) return cached;
  let text: string;
  try {
    text = execFileSync("kubectl", ["kustomize", relativeDir], {
      cwd: repoRoot,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (error) {
    const stderr = isObject(error) && typeof error.stderr === "string" ? error.stderr : String(error);
    throw new Error(`kubectl kustomize ${relativeDir} failed: ${stderr.trim()}`);
  }
  const objects = parseAllDocuments(text)
    .map((doc) => doc.toJSON() as unknown)
    .filter(isObject)
    .map((raw): K8sObject => {
      const metadata = isObject(raw.metadata) ? raw.metadata : {};
      return {
        apiVersion: stringAt(raw.apiVersion, "apiVersion"),
        kind: stringAt(raw.kind, "kind"),
        name: stringAt(metadata.name, "metadata.name"),
        namespace: optionalString(metadata.namespace),
        raw,
      };
    });
  renderCache.set(relativeDir, objects);
  return objects;
}

export interface PodContainer {
  readonly owner: K8sObject;
  readonly podSpec: JsonObject;
  readonly container: JsonObject;
  readonly name: string;
  readonly image: string;
  readonly init: boolean;
}

const podTemplatePaths: Record<string, readonly string[]> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

export function podSpecOf(object: K8sObject): JsonObject | undefined {
  const path = podTemplatePaths[object.kind];
  if (!path) return undefined;
  let node: unknown = object.raw;
  for (const key of path) {
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

export function containersOf(objects: readonly K8sObject[]): readonly PodContainer[] {
  return objects.flatMap((owner) => {
    const podSpec = podSpecOf(owner);
    if (!podSpec) return [];
    const list = (key: string, init: boolean): PodContainer[] =>
      (Array.isArray(podSpec[key]) ? podSpec[key] : []).filter(isObject).map((container) => ({
        owner,
        podSpec,
        container,
        name: stringAt(container.name, `${owner.kind}/${owner.name} container name`),
        image: stringAt(container.image, `${owner.kind}/${owner.name} container image`),
        init,
      }));
    return [...list("initContainers", true), ...list("containers", false)];
  });
}

export interface ImageRef {
  /** Repository without registry-independent changes, e.g. "registry.example.com/invoicing/invoice-app". */
  readonly repository: string;
  /** Last path segment of the repository, e.g. "invoice-app". */
  readonly name: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export function parseImage(image: string): ImageRef {
  const [withoutDigest, digest] = image.split("@", 2) as [string, string | undefined];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const lastColon = withoutDigest.lastIndexOf(":");
  const hasTag = lastColon > lastSlash;
  const repository = hasTag ? withoutDigest.slice(0, lastColon) : withoutDigest;
  return {
    repository,
    name: repository.slice(repository.lastIndexOf("/") + 1),
    tag: hasTag ? withoutDigest.slice(lastColon + 1) : undefined,
    digest,
  };
}

// ---- Dockerfile --------------------------------------------------------------------------------------------------

export interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

export interface Stage {
  readonly index: number;
  readonly base: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Splits a Dockerfile into stages of instructions (continuation lines joined, comments dropped). */
export function parseDockerfile(text: string): readonly Stage[] {
  const logical: string[] = [];
  let current = "";
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (current === "" && (trimmed === "" || trimmed.startsWith("#"))) continue;
    if (current !== "" && trimmed.startsWith("#")) continue; // comments inside a continued instruction
    if (trimmed.endsWith("\\")) {
      current += `${trimmed.slice(0, -1)} `;
      continue;
    }
    logical.push(current + trimmed);
    current = "";
  }
  if (current !== "") logical.push(current);

  const stages: { index: number; base: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const match = /^(\S+)\s*(.*)$/s.exec(line);
    if (!match) continue;
    const keyword = (match[1] ?? "").toUpperCase();
    const args = (match[2] ?? "").trim();
    if (keyword === "FROM") {
      const from = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(args);
      if (!from?.[1]) throw new Error(`cannot parse FROM ${args}`);
      stages.push({ index: stages.length, base: from[1], name: from[2]?.toLowerCase(), instructions: [] });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return stages;
}

/** The stage and the stages it builds on (FROM <earlier stage>), root first. */
export function stageChain(stages: readonly Stage[], target: string | undefined): readonly Stage[] {
  const byName = new Map(stages.filter((s) => s.name !== undefined).map((s) => [s.name, s]));
  let stage = target === undefined ? stages.at(-1) : byName.get(target.toLowerCase());
  if (!stage) throw new Error(`no stage ${target ?? "(last)"}`);
  const chain: Stage[] = [];
  while (stage && !chain.includes(stage)) {
    chain.unshift(stage);
    stage = byName.get(stage.base.toLowerCase());
  }
  return chain;
}

export interface CopyStep {
  readonly sources: readonly string[];
  /** Absolute destination in the image. */
  readonly dest: string;
  readonly chown: string | undefined;
}

export interface EffectiveStage {
  readonly workdir: string;
  readonly user: string | undefined;
  /** COPY/ADD from the build context (not --from) along the whole chain, destinations resolved. */
  readonly copies: readonly CopyStep[];
}

function splitArgs(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith("[")) {
    const parsed: unknown = JSON.parse(trimmed);
    return arrayAt(parsed, "exec-form arguments").map((a) => stringAt(a, "exec-form argument"));
  }
  return trimmed.split(/\s+/).filter((a) => a !== "");
}

/** WORKDIR, USER and context COPYs in effect for a target (Docker semantics: relative WORKDIR joins the previous). */
export function effectiveStage(stages: readonly Stage[], target: string | undefined): EffectiveStage {
  let workdir = "/";
  let user: string | undefined;
  const copies: CopyStep[] = [];
  for (const stage of stageChain(stages, target)) {
    for (const { keyword, args } of stage.instructions) {
      if (keyword === "WORKDIR") {
        workdir = posix.resolve(workdir, args.trim());
      } else if (keyword === "USER") {
        user = args.trim();
      } else if (keyword === "COPY" || keyword === "ADD") {
        const words = splitArgs(args);
        const flags = words.filter((w) => w.startsWith("--"));
        const paths = words.filter((w) => !w.startsWith("--"));
        if (flags.some((f) => f.startsWith("--from=")) || paths.length < 2) continue;
        const dest = paths.at(-1) ?? ".";
        const chown = flags.find((f) => f.startsWith("--chown="))?.slice("--chown=".length);
        copies.push({ sources: paths.slice(0, -1), dest: posix.resolve(workdir, dest), chown });
      }
    }
  }
  return { workdir, user, copies };
}

/** The user part of "uid[:gid]" / "name[:group]". */
export function userPart(spec: string): string {
  return spec.split(":")[0] ?? spec;
}

// ---- globs (Skaffold sync semantics: doublestar, paths relative to the artifact context) -------------------------

/** Translates a doublestar glob (`**`, `*`, `?`, `[...]`, `{a,b}`) into an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let out = "";
  let i = 0;
  let braceDepth = 0;
  while (i < glob.length) {
    const c = glob[i] ?? "";
    if (c === "*") {
      if (glob[i + 1] === "*") {
        const before = i === 0 || glob[i - 1] === "/";
        const after = glob[i + 2];
        if (before && after === "/") {
          out += "(?:[^/]*/)*"; // "**/": zero or more directories
          i += 3;
          continue;
        }
        if (before && after === undefined) {
          out += ".*"; // trailing "**": everything below
          i += 2;
          continue;
        }
      }
      out += "[^/]*";
      i += 1;
    } else if (c === "?") {
      out += "[^/]";
      i += 1;
    } else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end === -1) {
        out += "\\[";
        i += 1;
        continue;
      }
      const body = glob
        .slice(i + 1, end)
        .replace(/^!/, "^")
        .replace(/\\/g, "\\\\");
      out += `[${body}]`;
      i = end + 1;
    } else if (c === "{") {
      braceDepth += 1;
      out += "(?:";
      i += 1;
    } else if (c === "}" && braceDepth > 0) {
      braceDepth -= 1;
      out += ")";
      i += 1;
    } else if (c === "," && braceDepth > 0) {
      out += "|";
      i += 1;
    } else {
      out += c.replace(/[.+^$()|\\]/g, "\\$&");
      i += 1;
    }
  }
  return new RegExp(`^${out}$`);
}

/** The directory part of a glob before its first wildcard, e.g. "invoice-app/src/" for "invoice-app/src/**\/*.ts". */
export function staticPrefix(glob: string): string {
  const firstWild = glob.search(/[*?[{]/);
  const head = firstWild === -1 ? glob : glob.slice(0, firstWild);
  return head.slice(0, head.lastIndexOf("/") + 1);
}

const skippedDirs = new Set(["node_modules", ".git", "dist", ".cache", "coverage"]);

/** Repository files (POSIX paths relative to `root`), without node_modules, .git and build output. */
export function listFiles(root: string): readonly string[] {
  const files: string[] = [];
  const walk = (dir: string, prefix: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!skippedDirs.has(entry.name)) walk(join(dir, entry.name), `${prefix}${entry.name}/`);
      } else if (entry.isFile()) {
        files.push(`${prefix}${entry.name}`);
      }
    }
  };
  if (existsSync(root)) walk(root, "");
  return files.sort();
}

/** Where Skaffold's manual sync puts a context-relative file: dest (relative to WORKDIR) + path minus strip. */
export function syncDestination(rule: SyncRule, file: string, workdir: string): string {
  if (rule.strip !== "" && !file.startsWith(rule.strip)) {
    throw new Error(`${file} does not start with strip prefix ${rule.strip}`);
  }
  return posix.join(posix.resolve(workdir, rule.dest), file.slice(rule.strip.length));
}

/** Where the image's COPY steps put a context-relative file, or undefined when no directory COPY covers it. */
export function imageDestination(copy: CopyStep, file: string): string | undefined {
  for (const source of copy.sources) {
    const dir = posix.normalize(source).replace(/\/$/, "");
    if (dir === ".") return posix.join(copy.dest, file);
    if (file.startsWith(`${dir}/`)) return posix.join(copy.dest, file.slice(dir.length + 1));
  }
  return undefined;
}

export function isInside(path: string, dir: string): boolean {
  const normalized = posix.normalize(path);
  const base = posix.normalize(dir).replace(/\/$/, "");
  return base === "" || normalized === base || normalized.startsWith(`${base}/`);
}

/**
 * The stages BuildKit builds for a target: the target, the stages it is based on, and every stage it copies or
 * mounts from (`COPY --from=<stage>`, `RUN --mount=...,from=<stage>`), transitively.
 */
export function stageClosure(stages: readonly Stage[], target: string | undefined): readonly Stage[] {
  const byName = new Map(stages.filter((s) => s.name !== undefined).map((s) => [s.name, s]));
  const lookup = (ref: string): Stage | undefined =>
    byName.get(ref.toLowerCase()) ?? (/^\d+$/.test(ref) ? stages[Number(ref)] : undefined);
  const start = target === undefined ? stages.at(-1) : lookup(target);
  if (!start) throw new Error(`no stage ${target ?? "(last)"}`);
  const seen = new Set<Stage>();
  const visit = (stage: Stage): void => {
    if (seen.has(stage)) return;
    seen.add(stage);
    const refs = [stage.base];
    for (const { keyword, args } of stage.instructions) {
      if (keyword === "COPY" || keyword === "ADD")
        refs.push(...[...args.matchAll(/--from=(\S+)/g)].map((m) => m[1] ?? ""));
      if (keyword === "RUN") refs.push(...[...args.matchAll(/--mount=\S*\bfrom=([^,\s]+)/g)].map((m) => m[1] ?? ""));
    }
    for (const ref of refs) {
      const dep = lookup(ref);
      if (dep) visit(dep);
    }
  };
  visit(start);
  return stages.filter((s) => seen.has(s));
}

/** Context paths (files or directories, possibly globs) that COPY/ADD take from the build context. */
export function contextSources(stage: Stage): readonly string[] {
  return stage.instructions.flatMap(({ keyword, args }) => {
    if (keyword !== "COPY" && keyword !== "ADD") return [];
    const words = splitArgs(args);
    if (words.some((w) => w.startsWith("--from="))) return [];
    const paths = words.filter((w) => !w.startsWith("--"));
    return paths.slice(0, -1).filter((p) => !/^[a-z]+:\/\//i.test(p));
  });
}

export interface IgnoreRule {
  readonly pattern: RegExp;
  readonly negated: boolean;
}

/** .dockerignore rules (Docker semantics: patterns relative to the context root, `!` re-includes, last match wins). */
export function parseDockerignore(text: string): readonly IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const body = posix.normalize((negated ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, "");
      return { pattern: globToRegExp(body), negated };
    });
}

/** Whether the build context Docker sends excludes a path: a rule matching the path or one of its parents. */
export function isDockerignored(path: string, rules: readonly IgnoreRule[]): boolean {
  const parts = posix
    .normalize(path)
    .replace(/^\.\/?|\/$/g, "")
    .split("/");
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join("/"));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.pattern.test(c))) excluded = !rule.negated;
  }
  return excluded;
}
