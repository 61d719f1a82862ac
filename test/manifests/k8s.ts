// Typed views of rendered Kubernetes objects and the lookups the checks share: pod templates, label selectors,
// environment resolution through ConfigMaps and Secrets.
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";

export type Labels = Readonly<Record<string, string>>;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export function objectId(object: K8sObject): string {
  const ns = object.metadata.namespace;
  return `${object.kind}/${ns === undefined ? "" : `${ns}/`}${object.metadata.name}`;
}

export function find(
  objects: readonly K8sObject[],
  kind: string,
  namespace: string | undefined,
  name: string,
): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name);
}

/** Like find, but throws with the object's identity when it is missing. */
export function get(objects: readonly K8sObject[], kind: string, namespace: string | undefined, name: string) {
  const object = find(objects, kind, namespace, name);
  if (!object) throw new Error(`${kind}/${namespace ?? ""}/${name} is not in the rendered manifests`);
  return object;
}

// ---- pod templates ------------------------------------------------------------------------------------------------

/** Kinds that carry a pod template, and where it is. Pod itself is its own template. */
const templatePaths: Readonly<Record<string, readonly string[]>> = {
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
  Pod: [],
};

export const workloadKinds: ReadonlySet<string> = new Set(Object.keys(templatePaths));

export interface PodTemplate {
  readonly owner: K8sObject;
  readonly namespace: string;
  readonly labels: Labels;
  readonly annotations: Labels;
  readonly spec: IPodSpec;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function podTemplateOf(owner: K8sObject): PodTemplate | undefined {
  const path = templatePaths[owner.kind];
  if (!path) return undefined;
  let node: unknown = owner;
  for (const key of path) node = isRecord(node) ? node[key] : undefined;
  if (!isRecord(node)) throw new Error(`${objectId(owner)} has no pod template at ${path.join(".")}`);
  const metadata = isRecord(node.metadata) ? node.metadata : {};
  if (!isRecord(node.spec)) throw new Error(`${objectId(owner)} pod template has no spec`);
  return {
    owner,
    namespace: owner.metadata.namespace ?? "default",
    labels: (isRecord(metadata.labels) ? metadata.labels : {}) as Labels,
    annotations: (isRecord(metadata.annotations) ? metadata.annotations : {}) as Labels,
    spec: node.spec as unknown as IPodSpec,
  };
}

export function podTemplates(objects: readonly K8sObject[]): PodTemplate[] {
  return objects.flatMap((o) => {
    const template = podTemplateOf(o);
    return template ? [template] : [];
  });
}

/** Regular, init and ephemeral containers, each with whether it is a long-running (regular) container. */
export function allContainers(spec: IPodSpec): { container: IContainer; regular: boolean }[] {
  return [
    ...(spec.initContainers ?? []).map((container) => ({ container, regular: false })),
    ...(spec.containers ?? []).map((container) => ({ container, regular: true })),
    ...(spec.ephemeralContainers ?? []).map((container) => ({ container: container as IContainer, regular: false })),
  ];
}

// ---- label selectors ----------------------------------------------------------------------------------------------

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Kubernetes label selector semantics; an empty selector matches everything. */
export function matchesSelector(selector: LabelSelector, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (labels[key] !== value) return false;
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, key);
    const value = labels[key];
    switch (operator) {
      case "In":
        if (!has || value === undefined || !values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && value !== undefined && values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
      default:
        throw new Error(`unknown label selector operator ${operator}`);
    }
  }
  return true;
}

// ---- environment --------------------------------------------------------------------------------------------------

export type EnvSource =
  | { readonly from: "value" }
  | { readonly from: "configMap"; readonly name: string; readonly key: string }
  | { readonly from: "secret"; readonly name: string; readonly key: string }
  | { readonly from: "other" };

export interface EnvVar {
  readonly source: EnvSource;
  /** The value when it is known from the rendered objects (literal, or a rendered ConfigMap/Secret). */
  readonly value: string | undefined;
}

function dataOf(object: K8sObject | undefined): Record<string, string> | undefined {
  if (!object) return undefined;
  const out: Record<string, string> = {};
  if (object.kind === "Secret") {
    for (const [k, v] of Object.entries((object.data as Record<string, string> | undefined) ?? {}))
      out[k] = Buffer.from(v, "base64").toString("utf8");
    Object.assign(out, (object.stringData as Record<string, string> | undefined) ?? {});
  } else Object.assign(out, (object.data as Record<string, string> | undefined) ?? {});
  return out;
}

/** The container's environment as the kubelet builds it: envFrom first, then env (later entries win). */
export function resolveEnv(
  objects: readonly K8sObject[],
  namespace: string,
  container: IContainer,
): ReadonlyMap<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  for (const source of container.envFrom ?? []) {
    const prefix = source.prefix ?? "";
    if (source.configMapRef?.name) {
      const { name } = source.configMapRef;
      for (const [key, value] of Object.entries(dataOf(find(objects, "ConfigMap", namespace, name)) ?? {}))
        env.set(prefix + key, { source: { from: "configMap", name, key }, value });
    }
    if (source.secretRef?.name) {
      const { name } = source.secretRef;
      for (const [key, value] of Object.entries(dataOf(find(objects, "Secret", namespace, name)) ?? {}))
        env.set(prefix + key, { source: { from: "secret", name, key }, value });
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    if (variable.value !== undefined || !ref)
      env.set(variable.name, { source: { from: "value" }, value: variable.value });
    else if (ref.configMapKeyRef?.name) {
      const { name, key } = ref.configMapKeyRef;
      const value = dataOf(find(objects, "ConfigMap", namespace, name))?.[key];
      // An optional reference to a missing key leaves the variable unset, as the kubelet does.
      if (value !== undefined || ref.configMapKeyRef.optional !== true)
        env.set(variable.name, { source: { from: "configMap", name, key }, value });
    } else if (ref.secretKeyRef?.name) {
      const { name, key } = ref.secretKeyRef;
      const value = dataOf(find(objects, "Secret", namespace, name))?.[key];
      if (value !== undefined || ref.secretKeyRef.optional !== true)
        env.set(variable.name, { source: { from: "secret", name, key }, value });
    } else env.set(variable.name, { source: { from: "other" }, value: undefined });
  }
  return env;
}

export function secretData(object: K8sObject): Record<string, string> {
  return dataOf(object) ?? {};
}

/** Names of ConfigMaps and Secrets a pod spec needs (env, envFrom, volumes, projected volumes). */
export function referencedConfig(spec: IPodSpec): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const { container } of allContainers(spec)) {
    for (const source of container.envFrom ?? []) {
      if (source.configMapRef?.name && source.configMapRef.optional !== true) configMaps.add(source.configMapRef.name);
      if (source.secretRef?.name && source.secretRef.optional !== true) secrets.add(source.secretRef.name);
    }
    for (const variable of container.env ?? []) {
      const cm = variable.valueFrom?.configMapKeyRef;
      const secret = variable.valueFrom?.secretKeyRef;
      if (cm?.name && cm.optional !== true) configMaps.add(cm.name);
      if (secret?.name && secret.optional !== true) secrets.add(secret.name);
    }
  }
  for (const volume of spec.volumes ?? []) {
    if (volume.configMap?.name && volume.configMap.optional !== true) configMaps.add(volume.configMap.name);
    if (volume.secret?.secretName && volume.secret.optional !== true) secrets.add(volume.secret.secretName);
    for (const source of volume.projected?.sources ?? []) {
      if (source.configMap?.name && source.configMap.optional !== true) configMaps.add(source.configMap.name);
      if (source.secret?.name && source.secret.optional !== true) secrets.add(source.secret.name);
    }
  }
  for (const pull of spec.imagePullSecrets ?? []) if (pull.name) secrets.add(pull.name);
  return { configMaps, secrets };
}
