// RBAC per team namespace: the owning team's group deploys and reads in its own namespace only, CI has its own
// ServiceAccount bound to a deploy Role, and nobody gets Secrets, RBAC, exec/attach/port-forward, tokens or wildcards.
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import { describe, expect, it } from "vitest";
import { find, get, type K8sObject, objectId } from "./k8s.js";
import { SERVICES } from "./options.js";
import { roleProblems } from "./rbac.js";
import { overlays, renderOverlay } from "./render.js";

function bindingTo(objects: readonly K8sObject[], namespace: string, kind: string, name: string): IRoleBinding[] {
  return objects
    .filter((o) => o.kind === "RoleBinding" && o.metadata.namespace === namespace)
    .map((o) => o as unknown as IRoleBinding)
    .filter((b) => (b.subjects ?? []).some((s) => s.kind === kind && s.name === name));
}

describe.each(overlays)("overlays/%s RBAC", (overlay) => {
  const objects = renderOverlay(overlay);

  it("grants nothing cluster-wide", () => {
    expect(objects.filter((o) => o.kind === "ClusterRole" || o.kind === "ClusterRoleBinding").map(objectId)).toEqual(
      [],
    );
  });

  it.each(SERVICES)("binds $team to a namespaced deploy/read Role in $namespace only", (s) => {
    const bindings = objects
      .filter((o) => o.kind === "RoleBinding")
      .map((o) => o as unknown as IRoleBinding)
      .filter((b) => (b.subjects ?? []).some((subject) => subject.kind === "Group" && subject.name === s.team));
    expect(bindings.map((b) => b.metadata?.namespace)).toEqual([s.namespace]);
    const [binding] = bindings;
    expect(binding?.roleRef.kind).toBe("Role");
    const role = get(objects, "Role", s.namespace, binding?.roleRef.name ?? "") as unknown as IRole;
    const verbsOn = (resource: string) =>
      new Set((role.rules ?? []).filter((r) => (r.resources ?? []).includes(resource)).flatMap((r) => r.verbs));
    for (const verb of ["get", "list", "watch", "create", "update", "patch"])
      expect(verbsOn("deployments").has(verb), `deployments ${verb}`).toBe(true);
    for (const resource of ["pods", "pods/log", "services", "configmaps", "events"])
      expect(verbsOn(resource).has("get"), `read ${resource}`).toBe(true);
    expect(roleProblems(role)).toEqual([]);
  });

  it.each(SERVICES)("gives CI its own ServiceAccount in $namespace, bound to a deploy Role without escalation", (s) => {
    const account = get(objects, "ServiceAccount", s.namespace, "ci-deployer");
    expect(account.automountServiceAccountToken).toBe(false);
    const bindings = bindingTo(objects, s.namespace, "ServiceAccount", "ci-deployer");
    expect(bindings).toHaveLength(1);
    const subject = bindings[0]?.subjects?.find((x) => x.name === "ci-deployer");
    expect(subject?.namespace).toBe(s.namespace);
    expect(bindings[0]?.roleRef.kind).toBe("Role");
    const role = find(objects, "Role", s.namespace, bindings[0]?.roleRef.name ?? "") as unknown as IRole | undefined;
    expect(role).toBeDefined();
    if (!role) return;
    expect(roleProblems(role)).toEqual([]);
    const deploy = (role.rules ?? []).filter((r) => (r.resources ?? []).includes("deployments"));
    expect(deploy.flatMap((r) => r.verbs)).toEqual(expect.arrayContaining(["create", "update", "patch"]));
  });

  it("binds only Roles of the same namespace, to subjects of the same namespace or team groups", () => {
    for (const object of objects.filter((o) => o.kind === "RoleBinding")) {
      const binding = object as unknown as IRoleBinding;
      expect(binding.roleRef.kind, objectId(object)).toBe("Role");
      expect(find(objects, "Role", object.metadata.namespace, binding.roleRef.name), objectId(object)).toBeDefined();
      for (const subject of binding.subjects ?? []) {
        if (subject.kind === "ServiceAccount")
          expect(subject.namespace, objectId(object)).toBe(object.metadata.namespace);
        else expect(subject.name, objectId(object)).toMatch(/^team-/);
      }
    }
  });
});

describe("the RBAC check can fail", () => {
  it("flags secrets, exec, RBAC writes, escalation verbs and wildcards", () => {
    const role: IRole = {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: { name: "bad" },
      rules: [
        { apiGroups: [""], resources: ["secrets"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"], verbs: ["create"] },
        { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles"], verbs: ["escalate"] },
        { apiGroups: ["*"], resources: ["*"], verbs: ["get"] },
      ],
    };
    expect(roleProblems(role)).toHaveLength(5);
  });
});
