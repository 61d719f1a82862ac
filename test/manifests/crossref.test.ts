// Cross-references inside the rendered overlays and between them and the services' code: selectors match pod
// labels, ports and probe paths exist, the environment the apps need is set from the right places, and every
// ConfigMap and Secret a pod needs exists (locally) or is the documented external Secret (prod).
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IService } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import {
  find,
  get,
  type K8sObject,
  matchesSelector,
  objectId,
  type PodTemplate,
  podTemplates,
  referencedConfig,
  resolveEnv,
  secretData,
} from "./k8s.js";
import { SERVICES } from "./options.js";
import { overlays, renderOverlay, repoRoot } from "./render.js";

const as = <T>(object: K8sObject) => object as unknown as T;

/** Route keys of the REST route tables (`"/path": { GET: ... }`) in the shared server and the service's sources. */
function servedRoutes(service: string): Set<string> {
  const routes = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts"))
        for (const match of readFileSync(full, "utf8").matchAll(/"(\/[\w\-/.]*)"\s*:\s*\{/g))
          if (match[1]) routes.add(match[1]);
    }
  };
  walk(path.join(repoRoot, "shared", "src"));
  walk(path.join(repoRoot, service, "src"));
  return routes;
}

function appTemplate(objects: readonly K8sObject[], service: (typeof SERVICES)[number]): PodTemplate {
  const [template] = podTemplates([get(objects, "Deployment", service.namespace, service.name)]);
  if (!template) throw new Error(`${service.name} has no pod template`);
  return template;
}

function appContainer(objects: readonly K8sObject[], service: (typeof SERVICES)[number]) {
  const container = appTemplate(objects, service).spec.containers.find((c) => c.name === service.name);
  if (!container) throw new Error(`${service.name} has no container named ${service.name}`);
  return container;
}

function serviceUrl(objects: readonly K8sObject[], namespace: string, name: string, portName: string): string {
  const service = as<IService>(get(objects, "Service", namespace, name));
  const port = service.spec?.ports?.find((p) => p.name === portName);
  if (!port) throw new Error(`Service ${namespace}/${name} has no port ${portName}`);
  return `http://${name}.${namespace}.svc.cluster.local:${port.port}`;
}

/** The Secrets each overlay's pods reference and prod leaves to the secret store (overlays/prod/kustomization.yaml). */
const EXTERNAL_SECRETS = [
  "invoicing/invoice-app-database",
  "invoicing/payment-webhook",
  "payments/payment-provider-database",
  "payments/payment-webhook",
];

describe.each(overlays)("overlays/%s cross-references", (overlay) => {
  const objects = renderOverlay(overlay);
  const templates = podTemplates(objects);
  const podsOf = (namespace: string, selector: Parameters<typeof matchesSelector>[0]) =>
    templates.filter((t) => t.namespace === namespace && matchesSelector(selector, t.labels));

  it("routes every Service to exactly one workload, on ports its containers declare", () => {
    for (const object of objects.filter((o) => o.kind === "Service")) {
      const service = as<IService>(object);
      const pods = podsOf(object.metadata.namespace ?? "", { matchLabels: service.spec?.selector ?? {} });
      expect(pods.length, `${objectId(object)} selects ${pods.length} workloads`).toBe(1);
      const containers = pods[0]?.spec.containers ?? [];
      for (const port of service.spec?.ports ?? []) {
        const target = port.targetPort ?? port.port;
        const exists = containers.some((c) =>
          (c.ports ?? []).some((p) => (typeof target === "number" ? p.containerPort === target : p.name === target)),
        );
        expect(exists, `${objectId(object)} targetPort ${target}`).toBe(true);
      }
    }
  });

  it("points every PodDisruptionBudget and HPA at an existing workload", () => {
    for (const object of objects.filter((o) => o.kind === "PodDisruptionBudget")) {
      const pdb = as<IPodDisruptionBudget>(object);
      expect(podsOf(object.metadata.namespace ?? "", pdb.spec?.selector ?? {}).length, objectId(object)).toBe(1);
      expect(pdb.spec?.maxUnavailable ?? pdb.spec?.minAvailable, objectId(object)).toBeDefined();
      expect(pdb.spec?.maxUnavailable, `${objectId(object)} must allow evictions`).not.toBe(0);
    }
    for (const object of objects.filter((o) => o.kind === "HorizontalPodAutoscaler")) {
      const {
        scaleTargetRef,
        minReplicas = 1,
        maxReplicas,
      } = as<IHorizontalPodAutoscaler>(object).spec ?? {
        scaleTargetRef: { kind: "", name: "" },
        maxReplicas: 0,
      };
      expect(
        find(objects, scaleTargetRef.kind, object.metadata.namespace, scaleTargetRef.name),
        objectId(object),
      ).toBeDefined();
      expect(maxReplicas).toBeGreaterThan(minReplicas);
    }
    for (const service of SERVICES)
      expect(find(objects, "PodDisruptionBudget", service.namespace, `${service.name}-pdb`)).toBeDefined();
  });

  it("selects existing pods and namespaces in every NetworkPolicy", () => {
    const namespaces = new Set([
      ...objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata.name),
      "kube-system",
      "ingress-nginx",
    ]);
    for (const object of objects.filter((o) => o.kind === "NetworkPolicy")) {
      const spec = as<INetworkPolicy>(object).spec ?? {};
      const selector = spec.podSelector ?? {};
      if (Object.keys(selector).length > 0)
        expect(podsOf(object.metadata.namespace ?? "", selector).length, `${objectId(object)} selects no pod`).toBe(1);
      const peers = [
        ...(spec.ingress ?? []).flatMap((r) => r.from ?? []),
        ...(spec.egress ?? []).flatMap((r) => r.to ?? []),
      ];
      for (const peer of peers) {
        const name = peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"];
        if (peer.namespaceSelector) expect(namespaces, `${objectId(object)} namespace`).toContain(name);
      }
    }
  });

  it("sends the Ingress to invoice-app's Service through the nginx class", () => {
    const ingress = as<IIngress>(get(objects, "Ingress", "invoicing", "invoice-app"));
    expect(ingress.spec?.ingressClassName).toBe("nginx");
    const rules = ingress.spec?.rules ?? [];
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      expect(rule.host, "every rule names its host").toBeTruthy();
      for (const p of rule.http?.paths ?? []) {
        const backend = p.backend.service;
        const service = as<IService>(get(objects, "Service", "invoicing", backend?.name ?? ""));
        expect(service.spec?.ports?.map((sp) => sp.name)).toContain(backend?.port?.name);
      }
    }
    const tlsHosts = (ingress.spec?.tls ?? []).flatMap((t) => t.hosts ?? []);
    expect(tlsHosts.sort()).toEqual(rules.map((r) => r.host).sort());
    expect(objects.filter((o) => o.kind === "Ingress").map(objectId)).toEqual(["Ingress/invoicing/invoice-app"]);
  });

  it.each(SERVICES)(
    "probes $name on routes it serves: /healthz for startup and liveness, /readyz for readiness",
    (s) => {
      const container = appContainer(objects, s);
      const routes = servedRoutes(s.name);
      expect(container.startupProbe?.httpGet?.path).toBe("/healthz");
      expect(container.livenessProbe?.httpGet?.path).toBe("/healthz");
      expect(container.readinessProbe?.httpGet?.path).toBe("/readyz");
      for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
        expect(routes, `${s.name} serves ${probe?.httpGet?.path}`).toContain(probe?.httpGet?.path);
      const http = container.ports?.find((p) => p.name === "http");
      expect(http?.containerPort).toBe(s.port);
    },
  );

  it.each(SERVICES)("gives $name the environment it needs, from the right places", (s) => {
    const container = appContainer(objects, s);
    const env = resolveEnv(objects, s.namespace, container);
    const required = [
      "NODE_ENV",
      "PORT",
      "HOST",
      "LOG_LEVEL",
      "DATABASE_URL",
      "DATABASE_POOL_SIZE",
      "REQUEST_TIMEOUT_MS",
      "SHUTDOWN_DRAIN_DELAY_MS",
      "SHUTDOWN_TIMEOUT_MS",
      "WEBHOOK_SECRET",
      ...(s.name === "invoice-app"
        ? ["PAYMENT_PROVIDER_URL", "PAYMENT_PROVIDER_TIMEOUT_MS", "SEED_INVOICES"]
        : ["EVENTS_WEBHOOK_URL", "DECLINE_RATE", "SETTLEMENT_LATENCY_MS"]),
    ];
    for (const name of required) expect(env.has(name), `${s.name}: ${name}`).toBe(true);
    expect(env.get("DATABASE_URL")?.source).toMatchObject({ from: "secret", key: "DATABASE_URL" });
    expect(env.get("WEBHOOK_SECRET")?.source).toMatchObject({ from: "secret", key: "WEBHOOK_SECRET" });
    const secretName = (variable: string) => {
      const source = env.get(variable)?.source;
      return source?.from === "secret" ? source.name.replace(/-[a-z0-9]{10}$/, "") : undefined;
    };
    expect(secretName("DATABASE_URL")).toBe(`${s.name}-database`);
    expect(secretName("WEBHOOK_SECRET")).toBe("payment-webhook");
    expect(env.get("NODE_ENV")?.value).toBe("production");
    expect(env.get("PORT")?.value).toBe(String(s.port));
    expect(env.get("HOST")?.value).toBe("0.0.0.0");
    expect(Number(env.get("SHUTDOWN_DRAIN_DELAY_MS")?.value)).toBeGreaterThan(0);
    for (const [name, variable] of env)
      if (variable.source.from === "configMap" || variable.source.from === "value")
        expect(variable.value, `${s.name}: ${name} has a value`).toBeTruthy();
  });

  it("points invoice-app at payment-provider's Service and payment-provider at invoice-app's webhook", () => {
    const invoiceEnv = resolveEnv(objects, "invoicing", appContainer(objects, SERVICES[0]));
    const paymentEnv = resolveEnv(objects, "payments", appContainer(objects, SERVICES[1]));
    expect(invoiceEnv.get("PAYMENT_PROVIDER_URL")?.value).toBe(
      serviceUrl(objects, "payments", "payment-provider", "http"),
    );
    expect(invoiceEnv.get("PAYMENT_PROVIDER_URL")?.value).toBe(
      "http://payment-provider.payments.svc.cluster.local:8082",
    );
    expect(paymentEnv.get("EVENTS_WEBHOOK_URL")?.value).toBe(
      `${serviceUrl(objects, "invoicing", "invoice-app", "http")}/webhooks/payment-events`,
    );
    expect(invoiceEnv.get("SEED_INVOICES")?.value).toBe(overlay === "local" ? "true" : "false");
    expect(paymentEnv.get("DECLINE_RATE")?.value).toBe("0");
  });

  it.each(SERVICES)("renders an environment that $name's own config schema accepts", async (s) => {
    const { loadConfig } = (await import(path.join(repoRoot, s.name, "src", "config.ts"))) as {
      loadConfig: (env: NodeJS.ProcessEnv) => unknown;
    };
    const env = resolveEnv(objects, s.namespace, appContainer(objects, s));
    // Prod Secrets live in the secret store: stand in values of the right shape.
    const standIn: Record<string, string> = {
      DATABASE_URL: "postgres://app:secret@db.internal.example:5432/app",
      WEBHOOK_SECRET: "x".repeat(64),
    };
    const processEnv = Object.fromEntries(
      [...env].map(([name, variable]) => [name, variable.value ?? standIn[name] ?? ""]),
    );
    expect(() => loadConfig(processEnv)).not.toThrow();
  });

  it("has every ConfigMap a pod needs in the rendered manifests", () => {
    for (const t of templates)
      for (const name of referencedConfig(t.spec).configMaps)
        expect(
          find(objects, "ConfigMap", t.namespace, name),
          `${objectId(t.owner)} needs ConfigMap ${name}`,
        ).toBeDefined();
  });

  it("runs each workload as its own ServiceAccount", () => {
    const accounts = templates.map((t) => `${t.namespace}/${t.spec.serviceAccountName}`);
    expect(new Set(accounts).size).toBe(accounts.length);
  });
});

describe("overlays/local secrets and databases", () => {
  const objects = renderOverlay("local");

  it("generates every Secret a pod needs, with the keys it reads", () => {
    for (const t of podTemplates(objects)) {
      for (const name of referencedConfig(t.spec).secrets)
        expect(find(objects, "Secret", t.namespace, name), `${objectId(t.owner)} needs Secret ${name}`).toBeDefined();
      for (const container of t.spec.containers)
        for (const [name, variable] of resolveEnv(objects, t.namespace, container))
          if (variable.source.from === "secret")
            expect(variable.value, `${objectId(t.owner)} ${name} <- ${variable.source.name}`).toBeTruthy();
    }
  });

  it("shares one webhook secret between both namespaces", () => {
    const values = ["invoicing", "payments"].map((ns) => {
      const secret = objects.find(
        (o) => o.kind === "Secret" && o.metadata.namespace === ns && o.metadata.name.startsWith("payment-webhook-"),
      );
      return secret ? secretData(secret).WEBHOOK_SECRET : undefined;
    });
    expect(values[0]).toBeTruthy();
    expect(values[0]).toBe(values[1]);
  });

  it.each(SERVICES)("connects $name to the PostgreSQL of its own namespace with its own role and database", (s) => {
    const env = resolveEnv(objects, s.namespace, appContainer(objects, s));
    const url = new URL(env.get("DATABASE_URL")?.value ?? "");
    const postgres = as<IService>(get(objects, "Service", s.namespace, "postgres"));
    expect(url.protocol).toBe("postgres:");
    expect(url.hostname).toBe(`postgres.${s.namespace}.svc.cluster.local`);
    expect(Number(url.port)).toBe(postgres.spec?.ports?.find((p) => p.name === "postgres")?.port);
    const [statefulSet] = podTemplates([get(objects, "StatefulSet", s.namespace, "postgres")]);
    expect(statefulSet && matchesSelector({ matchLabels: postgres.spec?.selector ?? {} }, statefulSet.labels)).toBe(
      true,
    );
    expect((get(objects, "StatefulSet", s.namespace, "postgres").spec as { serviceName?: string }).serviceName).toBe(
      "postgres",
    );
    const container = statefulSet?.spec.containers.find((c) => c.name === "postgres");
    const pgEnv = container ? resolveEnv(objects, s.namespace, container) : new Map();
    expect(decodeURIComponent(url.username)).toBe(pgEnv.get("APP_DB_USER")?.value);
    expect(decodeURIComponent(url.password)).toBe(pgEnv.get("APP_DB_PASSWORD")?.value);
    expect(url.pathname).toBe(`/${pgEnv.get("APP_DB_NAME")?.value}`);
    expect(pgEnv.get("APP_DB_USER")?.value).not.toBe(pgEnv.get("POSTGRES_USER")?.value);
  });

  it("runs PostgreSQL from a pinned image with its data on a persistent volume", () => {
    for (const { namespace } of SERVICES) {
      const statefulSet = get(objects, "StatefulSet", namespace, "postgres");
      const [template] = podTemplates([statefulSet]);
      const container = template?.spec.containers.find((c) => c.name === "postgres");
      expect(container?.image).toMatch(/^postgres:\d+\.\d+-\w+$/);
      const claims = (statefulSet.spec as { volumeClaimTemplates?: { metadata?: { name?: string } }[] })
        .volumeClaimTemplates;
      const data = container?.volumeMounts?.find((m) => m.mountPath === "/var/lib/postgresql/data");
      expect(claims?.map((c) => c.metadata?.name)).toContain(data?.name);
      for (const dir of ["/var/run/postgresql", "/tmp"])
        expect(
          container?.volumeMounts?.map((m) => m.mountPath),
          dir,
        ).toContain(dir);
    }
  });

  it("runs one replica of each service", () => {
    for (const s of SERVICES)
      expect((get(objects, "Deployment", s.namespace, s.name).spec as { replicas?: number }).replicas).toBe(1);
  });
});

describe("overlays/prod secrets and scaling", () => {
  const objects = renderOverlay("prod");

  it("contains no Secret: they come from the secret store", () => {
    expect(objects.filter((o) => o.kind === "Secret").map(objectId)).toEqual([]);
  });

  it("references exactly the documented external Secrets", () => {
    const referenced = podTemplates(objects).flatMap((t) =>
      [...referencedConfig(t.spec).secrets].map((n) => `${t.namespace}/${n}`),
    );
    expect([...new Set(referenced)].sort()).toEqual([...EXTERNAL_SECRETS].sort());
  });

  it("obtains the TLS certificate from cert-manager", () => {
    const ingress = as<IIngress>(get(objects, "Ingress", "invoicing", "invoice-app"));
    expect(ingress.metadata?.annotations?.["cert-manager.io/cluster-issuer"]).toBeTruthy();
    expect(ingress.spec?.tls?.[0]?.secretName).toBe("invoice-app-tls");
  });

  it.each(SERVICES)("runs $name with 3+ replicas, an HPA, a PDB and zone + node spreading", (s) => {
    const deployment = get(objects, "Deployment", s.namespace, s.name);
    expect((deployment.spec as { replicas?: number }).replicas).toBeGreaterThanOrEqual(3);
    const hpa = as<IHorizontalPodAutoscaler>(get(objects, "HorizontalPodAutoscaler", s.namespace, s.name));
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment", name: s.name });
    expect(hpa.spec?.minReplicas).toBeGreaterThanOrEqual(3);
    const pdb = as<IPodDisruptionBudget>(get(objects, "PodDisruptionBudget", s.namespace, `${s.name}-pdb`));
    expect(pdb.spec?.maxUnavailable ?? pdb.spec?.minAvailable).toBeDefined();
    const spread = appTemplate(objects, s).spec.topologySpreadConstraints ?? [];
    expect(spread.map((c) => `${c.topologyKey}=${c.whenUnsatisfiable}`).sort()).toEqual([
      "kubernetes.io/hostname=ScheduleAnyway",
      "topology.kubernetes.io/zone=DoNotSchedule",
    ]);
    for (const constraint of spread)
      expect(matchesSelector(constraint.labelSelector ?? {}, appTemplate(objects, s).labels)).toBe(true);
  });
});
