// What a namespaced Role must not grant: anything that lets its holder read Secrets, run commands in pods, mint
// tokens, change RBAC or NetworkPolicies, or use wildcards.
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";

const WRITE = new Set(["create", "update", "patch", "delete", "deletecollection", "*"]);
const ESCALATING_VERBS = new Set(["escalate", "bind", "impersonate", "*"]);
const FORBIDDEN_RESOURCES = new Set([
  "secrets",
  "pods/exec",
  "pods/attach",
  "pods/portforward",
  "serviceaccounts/token",
]);
const READ_ONLY_RESOURCES = new Set([
  "roles",
  "rolebindings",
  "networkpolicies",
  "namespaces",
  "resourcequotas",
  "limitranges",
]);

/** Problems with a Role's rules (empty: the Role grants no escalation path). */
export function roleProblems(role: IRole): string[] {
  const problems: string[] = [];
  for (const rule of role.rules ?? []) {
    const resources = rule.resources ?? [];
    const where = `${(rule.apiGroups ?? []).join(",")}/${resources.join(",")}`;
    if ((rule.apiGroups ?? []).includes("*") || resources.includes("*")) problems.push(`${where}: wildcard`);
    for (const verb of rule.verbs) if (ESCALATING_VERBS.has(verb)) problems.push(`${where}: verb ${verb}`);
    for (const resource of resources) {
      if (FORBIDDEN_RESOURCES.has(resource)) problems.push(`${where}: grants ${resource}`);
      if (READ_ONLY_RESOURCES.has(resource) && rule.verbs.some((v) => WRITE.has(v)))
        problems.push(`${where}: writes ${resource}`);
    }
    if ((rule.nonResourceURLs ?? []).length > 0) problems.push(`${where}: nonResourceURLs`);
  }
  return problems;
}
