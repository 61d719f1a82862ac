// The NetworkPolicies of both overlays, evaluated as a reachability matrix. The evaluator itself is tested first on
// small hand-made clusters, so a bug in it cannot make the matrix pass by accident.
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import { matchesSelector, podTemplates } from "./k8s.js";
import { type Cluster, type Endpoint, evaluate, inCidr, type Protocol, policyTypes } from "./netpol.js";
import { buildWorld, describeCase, evaluateCase, expectedMatrix } from "./reachability.js";
import { overlays, renderOverlay } from "./render.js";

const pod = (id: string, namespace: string, labels: Record<string, string>, ip = "10.0.0.1"): Endpoint => ({
  kind: "pod",
  id,
  namespace,
  labels,
  ip,
  ports: [{ name: "http", port: 8080, protocol: "TCP" }],
});
const policy = (namespace: string, name: string, spec: INetworkPolicy["spec"]): INetworkPolicy => ({
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { namespace, name },
  ...(spec === undefined ? {} : { spec }),
});
const cluster = (...policies: INetworkPolicy[]): Cluster => ({
  policies,
  namespaceLabels: new Map([
    ["a", { team: "a" }],
    ["b", { team: "b" }],
  ]),
});
const allowed = (c: Cluster, from: Endpoint, to: Endpoint, port = 8080, protocol: Protocol = "TCP") =>
  evaluate(c, { from, to, port, protocol }).allowed;

const web = pod("a/web", "a", { app: "web" }, "10.0.0.1");
const api = pod("b/api", "b", { app: "api" }, "10.0.0.2");
const other = pod("b/other", "b", { app: "other" }, "10.0.0.3");
const outside: Endpoint = { kind: "external", id: "outside", ip: "198.51.100.1" };
const denyAll = (ns: string) => policy(ns, "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });

describe("NetworkPolicy evaluator", () => {
  it("allows everything when no policy selects the pods", () => {
    expect(allowed(cluster(), web, api)).toBe(true);
  });

  it("isolates only the directions in policyTypes, defaulting to Ingress (+ Egress when egress rules exist)", () => {
    expect(policyTypes(policy("a", "p", { podSelector: {} }))).toEqual(["Ingress"]);
    expect(policyTypes(policy("a", "p", { podSelector: {}, egress: [] }))).toEqual(["Ingress", "Egress"]);
    const ingressOnly = cluster(policy("a", "p", { podSelector: {} }));
    expect(allowed(ingressOnly, web, api)).toBe(true);
    expect(allowed(ingressOnly, api, web)).toBe(false);
  });

  it("needs egress at the source and ingress at the destination", () => {
    expect(allowed(cluster(denyAll("a")), web, api)).toBe(false);
    expect(allowed(cluster(denyAll("b")), web, api)).toBe(false);
    const open = (ns: string, dir: "ingress" | "egress") =>
      policy(ns, `open-${dir}`, {
        podSelector: {},
        policyTypes: [dir === "ingress" ? "Ingress" : "Egress"],
        [dir]: [{}],
      });
    expect(allowed(cluster(denyAll("a"), denyAll("b"), open("a", "egress")), web, api)).toBe(false);
    expect(allowed(cluster(denyAll("a"), denyAll("b"), open("a", "egress"), open("b", "ingress")), web, api)).toBe(
      true,
    );
  });

  it("adds up the rules of all policies selecting a pod", () => {
    const fromWeb = policy("b", "from-web", {
      podSelector: { matchLabels: { app: "api" } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: "a" } } }] }],
    });
    expect(allowed(cluster(denyAll("b"), fromWeb), web, api)).toBe(true);
    expect(allowed(cluster(denyAll("b"), fromWeb), web, other)).toBe(false);
  });

  it("ANDs namespaceSelector and podSelector within one peer, ORs separate peers", () => {
    const and = policy("b", "and", {
      podSelector: { matchLabels: { app: "api" } },
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { team: "a" } }, podSelector: { matchLabels: { app: "x" } } }] },
      ],
    });
    const or = policy("b", "or", {
      podSelector: { matchLabels: { app: "api" } },
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { team: "a" } } }, { podSelector: { matchLabels: { app: "x" } } }],
        },
      ],
    });
    expect(allowed(cluster(and), web, api)).toBe(false);
    expect(allowed(cluster(or), web, api)).toBe(true);
  });

  it("reads a podSelector without namespaceSelector as the policy's own namespace", () => {
    const sameNs = policy("b", "same", {
      podSelector: { matchLabels: { app: "api" } },
      ingress: [{ from: [{ podSelector: {} }] }],
    });
    expect(allowed(cluster(sameNs), other, api)).toBe(true);
    expect(allowed(cluster(sameNs), web, api)).toBe(false);
  });

  it("matches the implicit kubernetes.io/metadata.name namespace label and matchExpressions", () => {
    const byName = policy("b", "by-name", {
      podSelector: {},
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["a"] }],
              },
              podSelector: { matchExpressions: [{ key: "app", operator: "NotIn", values: ["db"] }] },
            },
          ],
        },
      ],
    });
    expect(allowed(cluster(byName), web, api)).toBe(true);
    expect(allowed(cluster(byName), pod("a/db", "a", { app: "db" }), api)).toBe(false);
  });

  it("matches ports by protocol, number, range and name (resolved on the destination pod)", () => {
    const ports = (p: NonNullable<NonNullable<INetworkPolicy["spec"]>["ingress"]>[number]["ports"]) =>
      cluster(policy("b", "ports", { podSelector: {}, ingress: [{ ...(p === undefined ? {} : { ports: p }) }] }));
    expect(allowed(ports([{ port: 8080 }]), web, api, 8080)).toBe(true);
    expect(allowed(ports([{ port: 8080 }]), web, api, 8080, "UDP")).toBe(false);
    expect(allowed(ports([{ port: 8080 }]), web, api, 8081)).toBe(false);
    expect(allowed(ports([{ port: 8000, endPort: 8100 }]), web, api, 8081)).toBe(true);
    expect(allowed(ports([{ port: "http" }]), web, api, 8080)).toBe(true);
    expect(allowed(ports([{ port: "http" }]), web, api, 8081)).toBe(false);
    expect(allowed(ports([{ protocol: "UDP" }]), web, api, 53, "UDP")).toBe(true);
    expect(allowed(ports(undefined), web, api, 1)).toBe(true);
  });

  it("matches ipBlock cidr minus except, for external addresses and pod IPs alike", () => {
    expect(inCidr("10.40.1.4", "10.40.1.0/28")).toBe(true);
    expect(inCidr("10.40.1.16", "10.40.1.0/28")).toBe(false);
    expect(inCidr("1.2.3.4", "0.0.0.0/0")).toBe(true);
    expect(inCidr("1.2.3.4", "::/0")).toBe(false);
    const egress = policy("a", "egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }] }],
    });
    expect(allowed(cluster(egress), web, outside)).toBe(true);
    expect(allowed(cluster(egress), web, api)).toBe(false);
  });
});

describe.each(overlays)("overlays/%s reachability", (overlay) => {
  const objects = renderOverlay(overlay);
  const world = buildWorld(objects);

  it.each(expectedMatrix(overlay).map((c) => [describeCase(c), c] as const))("%s", (_, c) => {
    const verdict = evaluateCase(world, c);
    expect(verdict.allowed, `${verdict.egress}; ${verdict.ingress}`).toBe(c.allowed);
  });

  const probePorts: readonly [number, Protocol][] = [
    [53, "UDP"],
    [53, "TCP"],
    [80, "TCP"],
    [443, "TCP"],
    [5432, "TCP"],
    [8080, "TCP"],
    [8081, "TCP"],
    [8082, "TCP"],
    [9999, "TCP"],
  ];
  const whoReaches = (target: string, namespaces?: readonly string[]) => {
    const to = world.endpoints.get(target);
    if (!to) throw new Error(`no ${target}`);
    return [...world.endpoints.values()]
      .filter((from) => from !== to)
      .filter((from) => namespaces === undefined || (from.kind === "pod" && namespaces.includes(from.namespace)))
      .flatMap((from) =>
        probePorts
          .filter(([port, protocol]) => evaluate(world.cluster, { from, to, port, protocol }).allowed)
          .map(([port, protocol]) => `${from.id}:${port}/${protocol}`),
      );
  };

  it("gives every workload its own NetworkPolicy that states both its ingress and its egress", () => {
    for (const t of podTemplates(objects)) {
      const own = world.cluster.policies.filter(
        (p) =>
          p.metadata?.namespace === t.namespace &&
          Object.keys(p.spec?.podSelector?.matchLabels ?? {}).length > 0 &&
          matchesSelector(p.spec?.podSelector ?? {}, t.labels) &&
          policyTypes(p).includes("Ingress") &&
          policyTypes(p).includes("Egress") &&
          (p.spec?.ingress ?? []).length > 0 &&
          (p.spec?.egress ?? []).length > 0,
      );
      expect(own.length, `${t.namespace}/${t.owner.metadata.name}`).toBeGreaterThan(0);
    }
  });

  it("lets only invoice-app reach payment-provider, on 8082 only", () => {
    expect(whoReaches("payments/payment-provider")).toEqual(["invoicing/invoice-app:8082/TCP"]);
  });

  it("lets only the ingress controller and payment-provider reach invoice-app, on 8081 only", () => {
    expect(whoReaches("invoicing/invoice-app").sort()).toEqual(
      ["ingress-nginx/controller:8081/TCP", "payments/payment-provider:8081/TCP"].sort(),
    );
  });

  if (overlay === "local")
    it("lets only the owning service reach each PostgreSQL, on 5432 only", () => {
      expect(whoReaches("invoicing/postgres")).toEqual(["invoicing/invoice-app:5432/TCP"]);
      expect(whoReaches("payments/postgres")).toEqual(["payments/payment-provider:5432/TCP"]);
    });
  // The managed databases are outside the cluster: only egress from the team namespaces is ours to restrict.
  else
    it("lets only the owning service of the team namespaces reach each managed database, on 5432 only", () => {
      const teams = ["invoicing", "payments"];
      expect(whoReaches("db/invoicing", teams)).toEqual(["invoicing/invoice-app:5432/TCP"]);
      expect(whoReaches("db/payments", teams)).toEqual(["payments/payment-provider:5432/TCP"]);
    });
});
