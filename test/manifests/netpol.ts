// A NetworkPolicy evaluator (networking.k8s.io/v1 semantics), so the rendered policies can be checked as a
// reachability matrix without a cluster:
// - a pod selected by any policy whose policyTypes include a direction is isolated in that direction;
// - an isolated pod accepts/sends a connection when any rule of any policy selecting it allows it (policies add up);
// - a connection needs egress allowed at the source AND ingress allowed at the destination;
// - policyTypes defaults to Ingress, plus Egress when the policy has egress rules;
// - a rule without from/to allows every peer, a rule without ports every port;
// - a peer with namespaceSelector and podSelector needs both; podSelector alone means the policy's namespace;
//   ipBlock matches addresses (pods included: they have IPs) inside cidr and outside except;
// - a port without protocol is TCP; endPort makes a range; a named port is resolved on the destination pod.
// IPv4 only (the manifests use no IPv6 blocks; an IPv6 cidr never matches here).
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicyPort } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort";
import { type Labels, matchesSelector } from "./k8s.js";

export type Protocol = "TCP" | "UDP" | "SCTP";

export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
}

export type Endpoint =
  | {
      readonly kind: "pod";
      readonly id: string;
      readonly namespace: string;
      readonly labels: Labels;
      readonly ip: string;
      readonly ports: readonly NamedPort[];
    }
  | { readonly kind: "external"; readonly id: string; readonly ip: string };

export interface Connection {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly port: number;
  readonly protocol: Protocol;
}

export interface Cluster {
  /** Policies with metadata.namespace set. */
  readonly policies: readonly INetworkPolicy[];
  /** Labels of each namespace; `kubernetes.io/metadata.name` is added automatically, as the API server does. */
  readonly namespaceLabels: ReadonlyMap<string, Labels>;
}

export interface Verdict {
  readonly allowed: boolean;
  readonly egress: string;
  readonly ingress: string;
}

type Direction = "Ingress" | "Egress";

function ipv4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [network, bitsText] = cidr.split("/");
  const address = ipv4(ip);
  const base = network === undefined ? undefined : ipv4(network);
  const bits = Number(bitsText);
  if (address === undefined || base === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) return false;
  const size = 2 ** (32 - bits);
  return Math.floor(address / size) === Math.floor(base / size);
}

function namespaceLabels(cluster: Cluster, namespace: string): Labels {
  return { ...(cluster.namespaceLabels.get(namespace) ?? {}), "kubernetes.io/metadata.name": namespace };
}

export function policyTypes(policy: INetworkPolicy): Direction[] {
  const declared = policy.spec?.policyTypes;
  if (declared && declared.length > 0) return declared as Direction[];
  return policy.spec?.egress !== undefined ? ["Ingress", "Egress"] : ["Ingress"];
}

function selects(policy: INetworkPolicy, pod: Endpoint, direction: Direction): boolean {
  if (pod.kind !== "pod" || policy.metadata?.namespace !== pod.namespace) return false;
  return policyTypes(policy).includes(direction) && matchesSelector(policy.spec?.podSelector ?? {}, pod.labels);
}

function peerMatches(cluster: Cluster, policyNamespace: string, peer: INetworkPolicyPeer, other: Endpoint): boolean {
  if (peer.ipBlock) {
    const { cidr, except = [] } = peer.ipBlock;
    return inCidr(other.ip, cidr) && !except.some((block) => inCidr(other.ip, block));
  }
  if (!peer.podSelector && !peer.namespaceSelector) throw new Error("a NetworkPolicy peer selects nothing");
  if (other.kind !== "pod") return false;
  if (peer.namespaceSelector) {
    if (!matchesSelector(peer.namespaceSelector, namespaceLabels(cluster, other.namespace))) return false;
  } else if (other.namespace !== policyNamespace) return false;
  return peer.podSelector === undefined || matchesSelector(peer.podSelector, other.labels);
}

function portMatches(rule: INetworkPolicyPort, destination: Endpoint, port: number, protocol: Protocol): boolean {
  if ((rule.protocol ?? "TCP") !== protocol) return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port === "number")
    return rule.endPort === undefined ? port === rule.port : port >= rule.port && port <= rule.endPort;
  return (
    destination.kind === "pod" &&
    destination.ports.some((p) => p.name === rule.port && p.port === port && p.protocol === protocol)
  );
}

/** Whether the pod on the `pod` side of the connection admits it in `direction`, and why. */
function admits(cluster: Cluster, connection: Connection, direction: Direction): { allowed: boolean; why: string } {
  const pod = direction === "Egress" ? connection.from : connection.to;
  const peer = direction === "Egress" ? connection.to : connection.from;
  if (pod.kind !== "pod") return { allowed: true, why: `${pod.id} is not a pod` };
  const selecting = cluster.policies.filter((policy) => selects(policy, pod, direction));
  if (selecting.length === 0) return { allowed: true, why: `${pod.id} is not isolated for ${direction}` };
  for (const policy of selecting) {
    const namespace = policy.metadata?.namespace ?? "";
    const rules =
      direction === "Egress"
        ? (policy.spec?.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports }))
        : (policy.spec?.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports }));
    for (const [index, rule] of rules.entries()) {
      const peerOk =
        rule.peers === undefined ||
        rule.peers.length === 0 ||
        rule.peers.some((p) => peerMatches(cluster, namespace, p, peer));
      const portOk =
        rule.ports === undefined ||
        rule.ports.length === 0 ||
        rule.ports.some((p) => portMatches(p, connection.to, connection.port, connection.protocol));
      if (peerOk && portOk)
        return { allowed: true, why: `${direction} rule ${index} of ${namespace}/${policy.metadata?.name}` };
    }
  }
  const names = selecting.map((p) => p.metadata?.name).join(", ");
  return { allowed: false, why: `no ${direction} rule of [${names}] allows it` };
}

export function evaluate(cluster: Cluster, connection: Connection): Verdict {
  const egress = admits(cluster, connection, "Egress");
  const ingress = admits(cluster, connection, "Ingress");
  return { allowed: egress.allowed && ingress.allowed, egress: egress.why, ingress: ingress.why };
}
