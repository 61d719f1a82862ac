// The intended reachability matrix of the platform and the world it is evaluated in: the pods of a rendered
// overlay (labels and ports from their pod templates) plus the pods and addresses around them that the policies
// must keep out (ingress controller, DNS, other namespaces, impostors with borrowed labels, the internet).
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { type K8sObject, type Labels, podTemplates } from "./k8s.js";
import { type Cluster, type Endpoint, evaluate, type NamedPort, type Protocol, type Verdict } from "./netpol.js";
import type { Overlay } from "./render.js";

/** Addresses inside the prod overlay's database CIDRs (overlays/prod/database-egress.yaml). Update together. */
export const PROD_DATABASE_IPS = { invoicing: "10.40.1.4", payments: "10.40.2.4" } as const;
const INTERNET_IP = "203.0.113.7";

export interface World {
  readonly cluster: Cluster;
  readonly endpoints: ReadonlyMap<string, Endpoint>;
}

/** Builds the world: one pod per rendered workload (id `namespace/workload`) plus the fixed surroundings. */
export function buildWorld(objects: readonly K8sObject[]): World {
  const endpoints = new Map<string, Endpoint>();
  let next = 10;
  const podIp = () => `10.244.0.${next++}`;
  const addPod = (id: string, namespace: string, labels: Labels, ports: readonly NamedPort[] = []) =>
    endpoints.set(id, { kind: "pod", id, namespace, labels, ip: podIp(), ports });

  for (const template of podTemplates(objects)) {
    const ports = (template.spec.containers ?? []).flatMap((c) =>
      (c.ports ?? []).map((p) => ({
        name: p.name ?? "",
        port: p.containerPort,
        protocol: (p.protocol ?? "TCP") as Protocol,
      })),
    );
    addPod(`${template.namespace}/${template.owner.metadata.name}`, template.namespace, template.labels, ports);
  }

  const invoiceAppLabels = (endpoints.get("invoicing/invoice-app") as { labels?: Labels } | undefined)?.labels ?? {};
  addPod("ingress-nginx/controller", "ingress-nginx", {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/instance": "ingress-nginx",
    "app.kubernetes.io/component": "controller",
  });
  addPod("ingress-nginx/admission-job", "ingress-nginx", {
    "app.kubernetes.io/name": "ingress-nginx",
    "app.kubernetes.io/component": "admission-webhook",
  });
  addPod("kube-system/kube-dns", "kube-system", { "k8s-app": "kube-dns" }, [
    { name: "dns", port: 53, protocol: "UDP" },
    { name: "dns-tcp", port: 53, protocol: "TCP" },
    { name: "metrics", port: 9153, protocol: "TCP" },
  ]);
  addPod("default/client", "default", { app: "client" });
  // Pods that copy invoice-app's labels from outside its namespace: labels alone must not open payment-provider.
  addPod("default/impostor-invoice-app", "default", invoiceAppLabels);
  addPod("payments/impostor-invoice-app", "payments", invoiceAppLabels);
  // Unlabelled pods started in the team namespaces (e.g. `kubectl run debug`): the default deny must cover them.
  addPod("invoicing/debug", "invoicing", { run: "debug" }, [{ name: "http", port: 8080, protocol: "TCP" }]);
  addPod("payments/debug", "payments", { run: "debug" }, [{ name: "http", port: 8080, protocol: "TCP" }]);
  endpoints.set("internet", { kind: "external", id: "internet", ip: INTERNET_IP });
  endpoints.set("db/invoicing", { kind: "external", id: "db/invoicing", ip: PROD_DATABASE_IPS.invoicing });
  endpoints.set("db/payments", { kind: "external", id: "db/payments", ip: PROD_DATABASE_IPS.payments });

  const namespaceLabels = new Map<string, Labels>();
  for (const object of objects)
    if (object.kind === "Namespace") namespaceLabels.set(object.metadata.name, object.metadata.labels ?? {});
  const policies = objects.filter((o) => o.kind === "NetworkPolicy") as unknown as INetworkPolicy[];
  return { cluster: { policies, namespaceLabels }, endpoints };
}

export interface Case {
  readonly from: string;
  readonly to: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly allowed: boolean;
  readonly why: string;
}

const allow = (from: string, to: string, port: number, why: string, protocol: Protocol = "TCP"): Case => ({
  from,
  to,
  port,
  protocol,
  allowed: true,
  why,
});
const deny = (from: string, to: string, port: number, why: string, protocol: Protocol = "TCP"): Case => ({
  from,
  to,
  port,
  protocol,
  allowed: false,
  why,
});

const IA = "invoicing/invoice-app";
const PP = "payments/payment-provider";
const DNS = "kube-system/kube-dns";

const common: readonly Case[] = [
  allow(IA, PP, 8082, "invoice-app calls payment-provider's API"),
  deny(IA, PP, 9999, "invoice-app reaches payment-provider on 8082 only"),
  deny(IA, PP, 8081, "invoice-app reaches payment-provider on 8082 only"),
  deny(IA, PP, 8082, "TCP only", "UDP"),
  allow(PP, IA, 8081, "payment-provider delivers webhook events to invoice-app"),
  deny(PP, IA, 8082, "the webhook goes to invoice-app's port 8081 only"),
  allow("ingress-nginx/controller", IA, 8081, "the ingress controller forwards public traffic to invoice-app"),
  deny("ingress-nginx/controller", PP, 8082, "payment-provider is not exposed through the ingress"),
  deny("ingress-nginx/admission-job", IA, 8081, "only the controller pods of ingress-nginx"),
  deny("default/client", PP, 8082, "no other namespace reaches payment-provider"),
  deny("default/client", IA, 8081, "public traffic comes through the ingress controller only"),
  deny("default/impostor-invoice-app", PP, 8082, "invoice-app's labels outside invoicing do not count"),
  deny("payments/impostor-invoice-app", PP, 8082, "invoice-app's labels outside invoicing do not count"),
  deny("invoicing/debug", PP, 8082, "other pods of the invoicing namespace do not reach payment-provider"),
  deny("payments/debug", PP, 8082, "default deny in payments covers pods of its own namespace"),
  deny("default/client", "invoicing/debug", 8080, "default deny (ingress) in invoicing"),
  deny("default/client", "payments/debug", 8080, "default deny (ingress) in payments"),
  deny("invoicing/debug", "internet", 443, "default deny (egress) in invoicing"),
  deny("payments/debug", "internet", 443, "default deny (egress) in payments"),
  deny("invoicing/debug", DNS, 53, "DNS is opened per workload, not namespace-wide", "UDP"),
  allow(IA, DNS, 53, "invoice-app resolves names", "UDP"),
  allow(IA, DNS, 53, "DNS over TCP (large answers)", "TCP"),
  allow(PP, DNS, 53, "payment-provider resolves names", "UDP"),
  allow(PP, DNS, 53, "DNS over TCP (large answers)", "TCP"),
  deny(IA, DNS, 9153, "only the DNS port of kube-dns"),
  deny(IA, "internet", 443, "invoice-app has no internet egress"),
  deny(IA, "internet", 80, "invoice-app has no internet egress"),
  deny(PP, "internet", 443, "payment-provider has no internet egress"),
  deny(IA, "default/client", 8080, "invoice-app talks to nothing else in the cluster"),
  deny("internet", IA, 8081, "no direct path around the ingress controller"),
  deny("internet", PP, 8082, "payment-provider is internal"),
];

const local: readonly Case[] = [
  allow(IA, "invoicing/postgres", 5432, "invoice-app uses its own database"),
  allow(PP, "payments/postgres", 5432, "payment-provider uses its own database"),
  deny(IA, "payments/postgres", 5432, "database per service: not the other team's"),
  deny(PP, "invoicing/postgres", 5432, "database per service: not the other team's"),
  deny(IA, "invoicing/postgres", 5433, "PostgreSQL's port only"),
  deny("invoicing/debug", "invoicing/postgres", 5432, "only the owning service reaches the database"),
  deny("default/client", "invoicing/postgres", 5432, "no other namespace reaches the database"),
  deny("ingress-nginx/controller", "payments/postgres", 5432, "no other namespace reaches the database"),
  deny("invoicing/postgres", "internet", 443, "the database has no internet egress"),
  deny("invoicing/postgres", IA, 8081, "the database opens no connections"),
  deny(IA, "db/invoicing", 5432, "no external database locally"),
];

const prod: readonly Case[] = [
  allow(IA, "db/invoicing", 5432, "invoice-app uses its managed database"),
  allow(PP, "db/payments", 5432, "payment-provider uses its managed database"),
  deny(IA, "db/payments", 5432, "database per service: not the other team's"),
  deny(PP, "db/invoicing", 5432, "database per service: not the other team's"),
  deny(IA, "db/invoicing", 443, "PostgreSQL's port only"),
  deny("invoicing/debug", "db/invoicing", 5432, "only the owning service reaches the database"),
];

export function expectedMatrix(overlay: Overlay): readonly Case[] {
  return [...common, ...(overlay === "local" ? local : prod)];
}

export function describeCase(c: Case): string {
  return `${c.from} -> ${c.to}:${c.port}/${c.protocol} ${c.allowed ? "allowed" : "denied"} (${c.why})`;
}

export function evaluateCase(world: World, c: Case): Verdict {
  const from = world.endpoints.get(c.from);
  const to = world.endpoints.get(c.to);
  if (!from) throw new Error(`no endpoint ${c.from} in the world`);
  if (!to) throw new Error(`no endpoint ${c.to} in the world`);
  return evaluate(world.cluster, { from, to, port: c.port, protocol: c.protocol });
}

/** The cases of the matrix whose verdict differs from the intent (empty: the policies implement the matrix). */
export function matrixFailures(objects: readonly K8sObject[], overlay: Overlay): string[] {
  const world = buildWorld(objects);
  return expectedMatrix(overlay).flatMap((c) => {
    const verdict = evaluateCase(world, c);
    return verdict.allowed === c.allowed ? [] : [`${describeCase(c)}: ${verdict.egress}; ${verdict.ingress}`];
  });
}
