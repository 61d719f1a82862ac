// Pod Security Standards "restricted" + DESIGN.md's extra rules on every pod template of both overlays.
import { describe, expect, it } from "vitest";
import { allContainers, get, objectId, podTemplates, workloadKinds } from "./k8s.js";
import { LOCAL_WRITABLE_ROOT, policyOptions, SERVICES, SKAFFOLD_IMAGES } from "./options.js";
import { checkPolicy, containerKey, formatFindings, parseImage, RELAXATION_ANNOTATION } from "./policy.js";
import { overlays, renderOverlay } from "./render.js";

describe.each(overlays)("overlays/%s workloads", (overlay) => {
  const objects = renderOverlay(overlay);
  const templates = podTemplates(objects);

  it("checks every object that carries a pod template", () => {
    const workloads = objects.filter((o) => workloadKinds.has(o.kind)).map(objectId);
    expect(templates.map((t) => objectId(t.owner))).toEqual(workloads);
    expect(workloads).toEqual(
      expect.arrayContaining(["Deployment/invoicing/invoice-app", "Deployment/payments/payment-provider"]),
    );
  });

  it("passes the restricted profile and the design's extra rules", () => {
    const findings = checkPolicy(objects, policyOptions(overlay));
    expect(formatFindings(findings)).toBe("");
  });

  it("has a read-only root filesystem everywhere except the documented local hot-reload relaxation", () => {
    const writable = templates.flatMap((t) =>
      allContainers(t.spec)
        .filter(({ container }) => container.securityContext?.readOnlyRootFilesystem !== true)
        .map(({ container }) => containerKey(t, container)),
    );
    expect(writable.sort()).toEqual(overlay === "local" ? [...LOCAL_WRITABLE_ROOT].sort() : []);
    const annotated = templates.filter((t) => t.annotations[RELAXATION_ANNOTATION] !== undefined);
    expect(annotated.map((t) => objectId(t.owner)).sort()).toEqual(
      overlay === "local" ? ["Deployment/invoicing/invoice-app", "Deployment/payments/payment-provider"] : [],
    );
  });

  it("runs every container as a non-root uid with a /tmp emptyDir when its root is read-only", () => {
    for (const t of templates)
      for (const { container } of allContainers(t.spec)) {
        const uid = container.securityContext?.runAsUser ?? t.spec.securityContext?.runAsUser ?? 0;
        expect(uid, containerKey(t, container)).toBeGreaterThan(0);
        const tmp = (container.volumeMounts ?? []).find((m) => m.mountPath === "/tmp");
        const volume = (t.spec.volumes ?? []).find((v) => v.name === tmp?.name);
        expect(volume?.emptyDir, `${containerKey(t, container)} /tmp`).toBeDefined();
      }
    for (const service of SERVICES) {
      const template = templates.find((t) => t.owner.kind === "Deployment" && t.owner.metadata.name === service.name);
      expect(template?.spec.securityContext?.runAsUser).toBe(65532);
      expect(template?.spec.securityContext?.runAsGroup).toBe(65532);
    }
  });

  it("labels both team namespaces for the restricted Pod Security profile", () => {
    for (const { namespace } of SERVICES) {
      const labels = get(objects, "Namespace", undefined, namespace).metadata.labels ?? {};
      for (const mode of ["enforce", "audit", "warn"]) {
        expect(labels[`pod-security.kubernetes.io/${mode}`], `${namespace} ${mode}`).toBe("restricted");
        expect(labels[`pod-security.kubernetes.io/${mode}-version`], `${namespace} ${mode}-version`).toMatch(
          /^(latest|v1\.\d+)$/,
        );
      }
    }
  });

  it("pins every image to a tag or digest, never latest (local: except the names Skaffold replaces)", () => {
    for (const t of templates)
      for (const { container } of allContainers(t.spec)) {
        const image = container.image ?? "";
        const ref = parseImage(image);
        expect(ref.tag).not.toBe("latest");
        if (overlay === "local" && SKAFFOLD_IMAGES.has(image)) continue;
        expect(ref.tag ?? ref.digest, containerKey(t, container)).toBeDefined();
      }
  });
});

describe("overlay differences", () => {
  it("prod pulls the service images from the registry with immutable release tags", () => {
    const objects = renderOverlay("prod");
    for (const service of SERVICES) {
      const template = podTemplates([get(objects, "Deployment", service.namespace, service.name)])[0];
      const container = template?.spec.containers.find((c) => c.name === service.name);
      const ref = parseImage(container?.image ?? "");
      expect(ref.registry).toBe("ghcr.io");
      expect(ref.repository).toBe(`ghcr.io/example-org/${service.name}`);
      expect(ref.tag ?? ref.digest).toMatch(/^(\d+\.\d+\.\d+|[0-9a-f]{7,40}|sha256:[0-9a-f]{64})$/);
      expect(container?.imagePullPolicy).toBe("Always");
    }
  });

  it("local keeps the bare image names Skaffold replaces (a tag would make Skaffold skip them)", () => {
    const objects = renderOverlay("local");
    for (const service of SERVICES) {
      const template = podTemplates([get(objects, "Deployment", service.namespace, service.name)])[0];
      const container = template?.spec.containers.find((c) => c.name === service.name);
      expect(container?.image).toBe(service.name);
      expect(container?.imagePullPolicy).toBe("IfNotPresent");
    }
  });
});
