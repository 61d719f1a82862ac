// Both overlays render with the real kustomize, the kustomizations use no deprecated fields, and every rendered
// object validates against the upstream Kubernetes OpenAPI schema of its apiVersion/kind.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { objectId } from "./k8s.js";
import { kustomizeCommand, overlays, renderOverlay, renderText, repoRoot } from "./render.js";
import { modelFor, validateObject } from "./schema.js";

const DEPRECATED_FIELDS = [
  "bases",
  "commonLabels",
  "patchesStrategicMerge",
  "patchesJson6902",
  "vars",
  "imageTags",
  "crds",
] as const;

function kustomizationFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return kustomizationFiles(full);
    return entry.name === "kustomization.yaml" || entry.name === "kustomization.yml" ? [full] : [];
  });
}

const kustomizeDir = path.join(repoRoot, "kustomize");
const files = kustomizationFiles(kustomizeDir).map((file) => path.relative(repoRoot, file));

describe("kustomize", () => {
  it("uses the kustomize binary or kubectl's built-in kustomize", () => {
    expect(["kustomize", "kubectl"]).toContain(kustomizeCommand().command);
  });

  it("finds the base, the components and both overlays", () => {
    for (const dir of ["base", "components/postgres", "components/dev-hot-reload", "overlays/local", "overlays/prod"])
      expect(files).toContain(path.join("kustomize", dir, "kustomization.yaml"));
  });

  it.each(files)("%s uses no deprecated fields and declares its apiVersion and kind", (file) => {
    const content: unknown = parse(readFileSync(path.join(repoRoot, file), "utf8"));
    expect(typeof content === "object" && content !== null).toBe(true);
    const kustomization = content as Record<string, unknown>;
    for (const field of DEPRECATED_FIELDS) expect(Object.keys(kustomization), `${file}: ${field}`).not.toContain(field);
    const isComponent = kustomization.kind === "Component";
    expect(kustomization.kind).toMatch(/^(Kustomization|Component)$/);
    expect(kustomization.apiVersion).toBe(
      isComponent ? "kustomize.config.k8s.io/v1alpha1" : "kustomize.config.k8s.io/v1beta1",
    );
    // `labels` replaces commonLabels; selectors are spelled out in the manifests, never rewritten by kustomize.
    for (const entry of (kustomization.labels as { includeSelectors?: boolean }[] | undefined) ?? [])
      expect(entry.includeSelectors, `${file}: labels must not rewrite selectors`).toBe(false);
  });

  it("renders the base on its own (it is environment-free but complete)", () => {
    expect(renderText("kustomize/base")).toContain("kind: Deployment");
  });

  it("reports a broken kustomization with kustomize's own message", () => {
    expect(() => renderText("kustomize/does-not-exist")).toThrow(/does-not-exist/);
  });
});

describe.each(overlays)("overlays/%s", (overlay) => {
  const objects = renderOverlay(overlay);

  it("renders objects with unique identities", () => {
    expect(objects.length).toBeGreaterThan(20);
    const ids = objects.map((o) => `${o.apiVersion} ${objectId(o)}`);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each(objects.map((o) => [objectId(o), o] as const))("%s validates against the Kubernetes schema", async (_, o) => {
    await expect(validateObject(o)).resolves.toBeUndefined();
  });
});

describe("schema validation can fail", () => {
  it("rejects a kind with no upstream schema instead of skipping it", async () => {
    await expect(modelFor("example.com/v1", "Widget")).rejects.toThrow(/no upstream schema/);
    await expect(modelFor("apps/v1", "Deploymnet")).rejects.toThrow(/no upstream schema/);
  });

  it("rejects a malformed object", async () => {
    const deployment = structuredClone(
      renderOverlay("prod").find((o) => o.kind === "Deployment" && o.metadata.name === "invoice-app"),
    );
    expect(deployment).toBeDefined();
    if (!deployment) return;
    (deployment.spec as Record<string, unknown>).replicas = "three";
    await expect(validateObject(deployment)).rejects.toThrow(/replicas/);
  });

  it("rejects Secret data that is not base64 (line breaks aside)", async () => {
    const secret = structuredClone(renderOverlay("local").find((o) => o.kind === "Secret"));
    expect(secret).toBeDefined();
    if (!secret) return;
    secret.data = { KEY: "not base64!" };
    await expect(validateObject(secret)).rejects.toThrow(/byte/);
  });
});
