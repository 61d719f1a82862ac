// The workload policy: the Pod Security Standards "restricted" profile plus the extra rules of DESIGN.md
// ("Kubernetes"), applied to every pod template in a rendered overlay. Returns findings instead of throwing so a
// test can print all of them at once and the mutation tests can check which rule fired.
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IProbe } from "kubernetes-models/v1/Probe";
import {
  allContainers,
  find,
  type K8sObject,
  matchesSelector,
  objectId,
  type PodTemplate,
  podTemplates,
  resolveEnv,
} from "./k8s.js";

export interface Finding {
  readonly workload: string;
  readonly container?: string;
  readonly rule: string;
  readonly message: string;
}

export interface PolicyOptions {
  /**
   * `namespace/workload/container` keys allowed to run with a writable root filesystem: the local overlay's
   * justified hot-reload relaxation. Such containers must still set the field explicitly and their pod template
   * must carry RELAXATION_ANNOTATION naming them.
   */
  readonly writableRootAllowed: ReadonlySet<string>;
  /** Every image must name its registry host (prod: no implicit docker.io, no locally built names). */
  readonly requireRegistry: boolean;
  /**
   * Bare image names Skaffold replaces at deploy time with the image it built (local only). Skaffold skips any
   * reference with a tag other than `latest`, so these must stay untagged; every other image needs a tag or digest.
   */
  readonly skaffoldImages: ReadonlySet<string>;
}

export const RELAXATION_ANNOTATION = "invoicing-platform.example.com/dev-relaxations";

export const RECOMMENDED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/component",
  "app.kubernetes.io/part-of",
  "app.kubernetes.io/managed-by",
] as const;

/** Volume types the restricted profile allows (everything else, hostPath first of all, is refused). */
const RESTRICTED_VOLUME_TYPES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);
const ALLOWED_ADDED_CAPABILITIES = new Set(["NET_BIND_SERVICE"]);
const ALLOWED_SELINUX_TYPES = new Set(["container_t", "container_init_t", "container_kvm_t", "container_engine_t"]);
const ALLOWED_SECCOMP = new Set(["RuntimeDefault", "Localhost"]);

export function containerKey(template: PodTemplate, container: IContainer): string {
  return `${template.namespace}/${template.owner.metadata.name}/${container.name}`;
}

/** A probe's handler, for comparing what two probes ask. */
function handlerOf(probe: IProbe): string {
  return JSON.stringify({ exec: probe.exec, httpGet: probe.httpGet, tcpSocket: probe.tcpSocket, grpc: probe.grpc });
}

/** Seconds a probe tolerates failure before acting (the kubelet's defaults when unset). */
export function probeBudgetSeconds(probe: IProbe): number {
  return (probe.initialDelaySeconds ?? 0) + (probe.periodSeconds ?? 10) * (probe.failureThreshold ?? 3);
}

function probePort(probe: IProbe): number | string | undefined {
  return probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
}

export interface ImageRef {
  readonly registry: string | undefined;
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
}

export function parseImage(image: string): ImageRef {
  const at = image.indexOf("@");
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const digest = at === -1 ? undefined : image.slice(at + 1);
  const slash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  const repository = colon > slash ? withoutDigest.slice(0, colon) : withoutDigest;
  const tag = colon > slash ? withoutDigest.slice(colon + 1) : undefined;
  const first = repository.split("/")[0] ?? "";
  const hasRegistry = repository.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return { registry: hasRegistry ? first : undefined, repository, tag, digest };
}

function checkImage(image: string | undefined, options: PolicyOptions): string[] {
  if (!image) return ["has no image"];
  const ref = parseImage(image);
  const problems: string[] = [];
  const skaffoldPlaceholder = options.skaffoldImages.has(image);
  if (ref.tag === undefined && ref.digest === undefined && !skaffoldPlaceholder)
    problems.push(`image ${image} has neither tag nor digest`);
  if (ref.tag === "latest") problems.push(`image ${image} uses the mutable tag "latest"`);
  if (ref.digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(ref.digest))
    problems.push(`image ${image} has a malformed digest`);
  if (options.requireRegistry && ref.registry === undefined) problems.push(`image ${image} does not name a registry`);
  return problems;
}

function checkPod(objects: readonly K8sObject[], template: PodTemplate, add: (rule: string, msg: string) => void) {
  const { owner, spec } = template;
  const ownerLabels = owner.metadata.labels ?? {};
  for (const label of RECOMMENDED_LABELS) {
    if (!template.labels[label]) add("labels", `pod template lacks label ${label}`);
    if (!ownerLabels[label]) add("labels", `${owner.kind} lacks label ${label}`);
  }
  if (template.labels["app.kubernetes.io/instance"] !== owner.metadata.name)
    add("labels", `app.kubernetes.io/instance should equal the workload name ${owner.metadata.name}`);

  if (spec.hostNetwork === true) add("hostNetwork", "hostNetwork is true");
  if (spec.hostPID === true) add("hostPID", "hostPID is true");
  if (spec.hostIPC === true) add("hostIPC", "hostIPC is true");
  for (const volume of spec.volumes ?? []) {
    const types = Object.keys(volume).filter((key) => key !== "name");
    for (const type of types)
      if (!RESTRICTED_VOLUME_TYPES.has(type)) add("volumes", `volume ${volume.name} uses forbidden type ${type}`);
  }

  if (spec.automountServiceAccountToken !== false)
    add("automountServiceAccountToken", "automountServiceAccountToken must be false");
  const serviceAccount = spec.serviceAccountName;
  if (!serviceAccount || serviceAccount === "default")
    add("serviceAccount", "must run as its own ServiceAccount, not the namespace default");
  else {
    const account = find(objects, "ServiceAccount", template.namespace, serviceAccount);
    if (!account) add("serviceAccount", `ServiceAccount ${serviceAccount} is not in the rendered manifests`);
    else if (account.automountServiceAccountToken !== false)
      add("serviceAccount", `ServiceAccount ${serviceAccount} must set automountServiceAccountToken: false`);
  }

  const podSecurity = spec.securityContext ?? {};
  const claimTemplates = (owner.spec as { volumeClaimTemplates?: unknown[] } | undefined)?.volumeClaimTemplates ?? [];
  const hasPersistentVolume =
    claimTemplates.length > 0 ||
    (spec.volumes ?? []).some((v) => v.persistentVolumeClaim !== undefined || v.ephemeral !== undefined);
  if (hasPersistentVolume && !(typeof podSecurity.fsGroup === "number" && podSecurity.fsGroup > 0))
    add("fsGroup", "a pod with persistent volumes must set a non-zero fsGroup so its non-root user can write them");
  if (podSecurity.fsGroup === 0) add("fsGroup", "fsGroup 0 is the root group");
  if ((podSecurity.supplementalGroups ?? []).includes(0)) add("supplementalGroups", "supplementalGroups include 0");
  if ((podSecurity.sysctls ?? []).length > 0) add("sysctls", "sets sysctls");
  if (podSecurity.appArmorProfile?.type === "Unconfined") add("appArmor", "pod AppArmor profile is Unconfined");

  if (!spec.priorityClassName) add("priorityClassName", "priorityClassName is not set");
  if (spec.terminationGracePeriodSeconds === undefined)
    add("terminationGracePeriodSeconds", "terminationGracePeriodSeconds must be set explicitly");
  if (["Deployment", "StatefulSet"].includes(owner.kind) && (spec.topologySpreadConstraints ?? []).length === 0)
    add("topologySpreadConstraints", "no topologySpreadConstraints");

  const ownerSpec = (owner.spec ?? {}) as {
    selector?: { matchLabels?: Record<string, string> };
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number | string } };
    updateStrategy?: { type?: string };
  };
  if (owner.kind !== "Pod" && owner.kind !== "CronJob" && owner.kind !== "Job") {
    if (!ownerSpec.selector || !matchesSelector(ownerSpec.selector, template.labels))
      add("selector", `${owner.kind} selector does not match its pod template labels`);
  }
  if (owner.kind === "Deployment") {
    const strategy = ownerSpec.strategy;
    const maxUnavailable = strategy?.rollingUpdate?.maxUnavailable;
    if (strategy?.type !== "RollingUpdate") add("strategy", "Deployment strategy must be RollingUpdate explicitly");
    if (maxUnavailable !== 0 && maxUnavailable !== "0%")
      add("strategy", `RollingUpdate maxUnavailable must be 0 (is ${String(maxUnavailable)})`);
  }
  if (owner.kind === "StatefulSet" && ownerSpec.updateStrategy?.type !== "RollingUpdate")
    add("strategy", "StatefulSet updateStrategy must be RollingUpdate explicitly");
}

function checkContainer(
  objects: readonly K8sObject[],
  template: PodTemplate,
  container: IContainer,
  regular: boolean,
  options: PolicyOptions,
  add: (rule: string, msg: string) => void,
) {
  const { spec } = template;
  const pod = spec.securityContext ?? {};
  const own = container.securityContext ?? {};

  // Effective values: a container-level field overrides the pod-level one.
  if ((own.runAsNonRoot ?? pod.runAsNonRoot) !== true) add("runAsNonRoot", "runAsNonRoot is not true");
  const uid = own.runAsUser ?? pod.runAsUser;
  if (!(typeof uid === "number" && uid > 0)) add("runAsUser", `runAsUser must be a non-zero uid (is ${String(uid)})`);
  const gid = own.runAsGroup ?? pod.runAsGroup;
  if (!(typeof gid === "number" && gid > 0)) add("runAsGroup", `runAsGroup must be a non-zero gid (is ${String(gid)})`);
  const seccomp = (own.seccompProfile ?? pod.seccompProfile)?.type;
  if (!seccomp || !ALLOWED_SECCOMP.has(seccomp))
    add("seccompProfile", `seccompProfile must be RuntimeDefault (is ${String(seccomp)})`);

  if (own.privileged === true) add("privileged", "privileged is true");
  if (own.allowPrivilegeEscalation !== false)
    add("allowPrivilegeEscalation", "allowPrivilegeEscalation must be false explicitly");
  const drop = own.capabilities?.drop ?? [];
  if (!drop.includes("ALL")) add("capabilities", "capabilities.drop must include ALL");
  for (const capability of own.capabilities?.add ?? [])
    if (!ALLOWED_ADDED_CAPABILITIES.has(capability)) add("capabilities", `adds capability ${capability}`);
  if (own.procMount !== undefined && own.procMount !== "Default") add("procMount", `procMount is ${own.procMount}`);
  if (own.appArmorProfile?.type === "Unconfined") add("appArmor", "AppArmor profile is Unconfined");
  const seLinux = own.seLinuxOptions ?? pod.seLinuxOptions;
  if (seLinux?.type !== undefined && !ALLOWED_SELINUX_TYPES.has(seLinux.type))
    add("seLinuxOptions", `SELinux type ${seLinux.type} is not allowed`);
  if (seLinux?.user !== undefined || seLinux?.role !== undefined) add("seLinuxOptions", "sets SELinux user or role");
  if ((own.windowsOptions ?? pod.windowsOptions)?.hostProcess === true) add("hostProcess", "hostProcess is true");

  const key = containerKey(template, container);
  if (own.readOnlyRootFilesystem === undefined)
    add("readOnlyRootFilesystem", "readOnlyRootFilesystem must be set explicitly");
  else if (own.readOnlyRootFilesystem !== true) {
    const annotation = template.annotations[RELAXATION_ANNOTATION] ?? "";
    const justified =
      options.writableRootAllowed.has(key) &&
      annotation.includes(`${container.name}:`) &&
      annotation.includes("readOnlyRootFilesystem=false");
    if (!justified) add("readOnlyRootFilesystem", "root filesystem is writable without the documented dev relaxation");
  }

  for (const port of container.ports ?? [])
    if (port.hostPort !== undefined) add("hostPort", `port ${port.containerPort} binds hostPort ${port.hostPort}`);

  const requests = container.resources?.requests ?? {};
  const limits = container.resources?.limits ?? {};
  if (requests.cpu === undefined) add("resources", "no CPU request");
  if (requests.memory === undefined) add("resources", "no memory request");
  if (limits.memory === undefined) add("resources", "no memory limit");

  for (const problem of checkImage(container.image, options)) add("image", problem);

  if (!regular) return;
  const { startupProbe, livenessProbe, readinessProbe } = container;
  if (!startupProbe) add("probes", "no startupProbe");
  if (!livenessProbe) add("probes", "no livenessProbe");
  if (!readinessProbe) add("probes", "no readinessProbe");
  if (livenessProbe && readinessProbe && handlerOf(livenessProbe) === handlerOf(readinessProbe))
    add("probes", "liveness and readiness ask the same question (a dependency outage would restart the pod)");
  if (startupProbe && livenessProbe && probeBudgetSeconds(startupProbe) <= probeBudgetSeconds(livenessProbe))
    add("probes", "startupProbe must allow more time than livenessProbe (slow starts would be killed)");
  const portNames = new Set((container.ports ?? []).map((p) => p.name).filter((n) => n !== undefined));
  const portNumbers = new Set((container.ports ?? []).map((p) => p.containerPort));
  for (const [name, probe] of Object.entries({ startupProbe, livenessProbe, readinessProbe })) {
    if (!probe) continue;
    const port = probePort(probe);
    if (port === undefined) continue;
    if (typeof port === "number" ? !portNumbers.has(port) : !portNames.has(port))
      add("probes", `${name} port ${port} is not a port of the container`);
  }

  // The app drains (readiness fails, listener closes after SHUTDOWN_DRAIN_DELAY_MS) and then has up to
  // SHUTDOWN_TIMEOUT_MS to finish: the kubelet must not SIGKILL it before that.
  const env = resolveEnv(objects, template.namespace, container);
  const drain = Number(env.get("SHUTDOWN_DRAIN_DELAY_MS")?.value ?? Number.NaN);
  const timeout = Number(env.get("SHUTDOWN_TIMEOUT_MS")?.value ?? Number.NaN);
  const grace = spec.terminationGracePeriodSeconds;
  if (Number.isFinite(drain) && Number.isFinite(timeout) && !(grace !== undefined && grace * 1000 > drain + timeout))
    add(
      "terminationGracePeriodSeconds",
      `terminationGracePeriodSeconds ${String(grace)} s is not above drain + shutdown (${drain + timeout} ms)`,
    );
}

/** Every finding for every pod template in the objects; an empty list means the overlay passes. */
export function checkPolicy(objects: readonly K8sObject[], options: PolicyOptions): Finding[] {
  const findings: Finding[] = [];
  for (const template of podTemplates(objects)) {
    const workload = objectId(template.owner);
    checkPod(objects, template, (rule, message) => findings.push({ workload, rule, message }));
    for (const { container, regular } of allContainers(template.spec))
      checkContainer(objects, template, container, regular, options, (rule, message) =>
        findings.push({ workload, container: container.name, rule, message }),
      );
  }
  return findings;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map((f) => `${f.workload}${f.container ? ` [${f.container}]` : ""}: ${f.rule}: ${f.message}`)
    .join("\n");
}
