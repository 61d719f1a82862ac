// What each overlay is allowed to differ in, shared by the policy and mutation tests.
import type { PolicyOptions } from "./policy.js";
import type { Overlay } from "./render.js";

/** The app containers of the local overlay, whose root filesystem the dev hot-reload component makes writable. */
export const LOCAL_WRITABLE_ROOT = new Set([
  "invoicing/invoice-app/invoice-app",
  "payments/payment-provider/payment-provider",
]);

/** The artifact image names of skaffold.yaml: the local overlay leaves them bare for Skaffold to replace. */
export const SKAFFOLD_IMAGES = new Set(["invoice-app", "payment-provider"]);

export function policyOptions(overlay: Overlay): PolicyOptions {
  return overlay === "local"
    ? { writableRootAllowed: LOCAL_WRITABLE_ROOT, requireRegistry: false, skaffoldImages: SKAFFOLD_IMAGES }
    : { writableRootAllowed: new Set(), requireRegistry: true, skaffoldImages: new Set() };
}

/** The services, their namespaces (one per owning team) and ports. */
export const SERVICES = [
  { name: "invoice-app", namespace: "invoicing", team: "team-invoicing", port: 8081 },
  { name: "payment-provider", namespace: "payments", team: "team-payments", port: 8082 },
] as const;
