// Proof that the checks bite: remove any one securityContext field of any pod template, or any one NetworkPolicy,
// from a rendered copy of an overlay, and the policy check or the reachability matrix must report it.
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { describe, expect, it } from "vitest";
import { type K8sObject, objectId, podTemplateOf } from "./k8s.js";
import { policyOptions } from "./options.js";
import { checkPolicy, formatFindings } from "./policy.js";
import { matrixFailures } from "./reachability.js";
import { type Overlay, overlays, renderOverlay } from "./render.js";

interface FieldMutation {
  readonly name: string;
  /** Index of the workload in the rendered objects. */
  readonly index: number;
  /** null: the pod-level securityContext; otherwise the container's name. */
  readonly container: string | null;
  /** Path inside the securityContext; [] removes the whole securityContext. */
  readonly path: readonly string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every field (at every depth) of a securityContext, plus the securityContext itself. */
function fieldPaths(context: unknown, prefix: readonly string[] = []): string[][] {
  if (!isRecord(context)) return [];
  return Object.entries(context).flatMap(([key, value]) => [[...prefix, key], ...fieldPaths(value, [...prefix, key])]);
}

function securityContextMutations(objects: readonly K8sObject[]): FieldMutation[] {
  return objects.flatMap((object, index) => {
    const template = podTemplateOf(object);
    if (!template) return [];
    const owner = objectId(object);
    const pod = [[], ...fieldPaths(template.spec.securityContext)].map((path) => ({
      name: `${owner} pod securityContext${path.map((p) => `.${p}`).join("")}`,
      index,
      container: null,
      path,
    }));
    const containers = [...(template.spec.initContainers ?? []), ...template.spec.containers].flatMap((c) =>
      [[], ...fieldPaths(c.securityContext)].map((path) => ({
        name: `${owner} [${c.name}] securityContext${path.map((p) => `.${p}`).join("")}`,
        index,
        container: c.name,
        path,
      })),
    );
    return [...pod, ...containers];
  });
}

function applyFieldMutation(objects: readonly K8sObject[], mutation: FieldMutation): K8sObject[] {
  const copy = structuredClone(objects) as K8sObject[];
  const owner = copy[mutation.index];
  const template = owner ? podTemplateOf(owner) : undefined;
  if (!template) throw new Error(`no pod template at ${mutation.index}`);
  const containers = [...(template.spec.initContainers ?? []), ...template.spec.containers];
  const holder: unknown =
    mutation.container === null ? template.spec : containers.find((c) => c.name === mutation.container);
  if (!isRecord(holder)) throw new Error(`${mutation.name}: no such pod spec or container`);
  let node: Record<string, unknown> = holder;
  const path = ["securityContext", ...mutation.path];
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isRecord(next)) throw new Error(`${mutation.name}: ${key} is not an object`);
    node = next;
  }
  const last = path.at(-1);
  if (last === undefined || !(last in node)) throw new Error(`${mutation.name}: nothing to remove`);
  delete node[last];
  return copy;
}

describe.each(overlays)("overlays/%s mutations", (overlay: Overlay) => {
  const objects = renderOverlay(overlay);
  const options = policyOptions(overlay);
  const mutations = securityContextMutations(objects);

  it("starts from a clean overlay, with something to mutate", () => {
    expect(formatFindings(checkPolicy(objects, options))).toBe("");
    expect(matrixFailures(objects, overlay)).toEqual([]);
    expect(mutations.length).toBeGreaterThan(10);
  });

  it.each(mutations.map((m) => [m.name, m] as const))("removing %s is reported", (_, mutation) => {
    const findings = checkPolicy(applyFieldMutation(objects, mutation), options);
    const owner = objects[mutation.index];
    expect(owner).toBeDefined();
    expect(findings.filter((f) => owner !== undefined && f.workload === objectId(owner)).length).toBeGreaterThan(0);
  });

  const policies = objects.map((o, index) => ({ o, index })).filter(({ o }) => o.kind === "NetworkPolicy");

  it("has NetworkPolicies to remove", () => {
    expect(policies.length).toBeGreaterThanOrEqual(4);
  });

  it.each(policies.map(({ o, index }) => [objectId(o), index] as const))(
    "removing %s breaks the reachability matrix",
    (_, index) => {
      const without = objects.filter((__, i) => i !== index);
      expect(matrixFailures(without, overlay).length).toBeGreaterThan(0);
    },
  );
});

/** Breaks one more rule in prod's invoice-app Deployment (pod spec and its app container). */
interface RuleMutation {
  readonly rule: string;
  readonly change: string;
  readonly apply: (deployment: Record<string, unknown>, spec: IPodSpec, container: IContainer) => void;
}

const ruleMutations: readonly RuleMutation[] = [
  { rule: "probes", change: "no readinessProbe", apply: (_, __, c) => delete c.readinessProbe },
  { rule: "probes", change: "no startupProbe", apply: (_, __, c) => delete c.startupProbe },
  {
    rule: "probes",
    change: "liveness asks /readyz like readiness",
    apply: (_, __, c) => {
      if (c.readinessProbe) c.livenessProbe = structuredClone(c.readinessProbe);
    },
  },
  {
    rule: "probes",
    change: "startup allows less time than liveness",
    apply: (_, __, c) => {
      if (c.startupProbe) c.startupProbe.failureThreshold = 1;
    },
  },
  {
    rule: "probes",
    change: "probe on a port the container does not declare",
    apply: (_, __, c) => {
      if (c.readinessProbe?.httpGet) c.readinessProbe.httpGet.port = "metrics";
    },
  },
  { rule: "resources", change: "no memory limit", apply: (_, __, c) => delete c.resources?.limits?.memory },
  { rule: "resources", change: "no CPU request", apply: (_, __, c) => delete c.resources?.requests?.cpu },
  {
    rule: "image",
    change: "image :latest",
    apply: (_, __, c) => {
      c.image = "ghcr.io/example-org/invoice-app:latest";
    },
  },
  {
    rule: "image",
    change: "image without registry or tag",
    apply: (_, __, c) => {
      c.image = "invoice-app";
    },
  },
  {
    rule: "capabilities",
    change: "adds SYS_ADMIN",
    apply: (_, __, c) => {
      c.securityContext = { ...c.securityContext, capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } };
    },
  },
  {
    rule: "readOnlyRootFilesystem",
    change: "writable root in prod",
    apply: (_, __, c) => {
      c.securityContext = { ...c.securityContext, readOnlyRootFilesystem: false };
    },
  },
  {
    rule: "privileged",
    change: "privileged",
    apply: (_, __, c) => {
      c.securityContext = { ...c.securityContext, privileged: true };
    },
  },
  {
    rule: "runAsUser",
    change: "container overrides runAsUser with root",
    apply: (_, __, c) => {
      c.securityContext = { ...c.securityContext, runAsUser: 0 };
    },
  },
  {
    rule: "hostPort",
    change: "hostPort",
    apply: (_, __, c) => {
      const port = c.ports?.[0];
      if (port) port.hostPort = 8081;
    },
  },
  {
    rule: "automountServiceAccountToken",
    change: "token mounted",
    apply: (_, s) => {
      s.automountServiceAccountToken = true;
    },
  },
  { rule: "serviceAccount", change: "default ServiceAccount", apply: (_, s) => delete s.serviceAccountName },
  {
    rule: "hostNetwork",
    change: "hostNetwork",
    apply: (_, s) => {
      s.hostNetwork = true;
    },
  },
  {
    rule: "volumes",
    change: "hostPath volume",
    apply: (_, s) => {
      s.volumes = [...(s.volumes ?? []), { name: "host", hostPath: { path: "/" } }];
    },
  },
  {
    rule: "terminationGracePeriodSeconds",
    change: "grace period below drain + shutdown",
    apply: (_, s) => {
      s.terminationGracePeriodSeconds = 20;
    },
  },
  { rule: "priorityClassName", change: "no priority class", apply: (_, s) => delete s.priorityClassName },
  {
    rule: "topologySpreadConstraints",
    change: "no spreading",
    apply: (_, s) => delete s.topologySpreadConstraints,
  },
  {
    rule: "strategy",
    change: "maxUnavailable 1",
    apply: (d) => {
      (d.spec as { strategy: { rollingUpdate: { maxUnavailable: number } } }).strategy.rollingUpdate.maxUnavailable = 1;
    },
  },
  {
    rule: "labels",
    change: "no app.kubernetes.io/component on the pod template",
    apply: (d) => {
      const labels = (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata
        .labels;
      delete labels["app.kubernetes.io/component"];
    },
  },
];

describe("overlays/prod rule mutations", () => {
  const objects = renderOverlay("prod");
  const index = objects.findIndex((o) => o.kind === "Deployment" && o.metadata.name === "invoice-app");

  it.each(ruleMutations.map((m) => [m.change, m] as const))("%s is reported", (_, mutation) => {
    const copy = structuredClone(objects) as K8sObject[];
    const deployment = copy[index];
    const template = deployment ? podTemplateOf(deployment) : undefined;
    const container = template?.spec.containers.find((c) => c.name === "invoice-app");
    if (!deployment || !template || !container) throw new Error("prod has no invoice-app Deployment");
    mutation.apply(deployment, template.spec, container);
    const rules = checkPolicy(copy, policyOptions("prod")).map((f) => f.rule);
    expect(rules).toContain(mutation.rule);
  });
});
