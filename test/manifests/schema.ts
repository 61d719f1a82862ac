// Validation of rendered objects against the upstream Kubernetes OpenAPI schemas, through the model classes that
// the npm package kubernetes-models generates from them (one class per apiVersion/kind, each with validate()).
import type { K8sObject } from "./k8s.js";

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

const API_VERSION = /^(?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+(?:(?:alpha|beta)[0-9]+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/**
 * The kubernetes-models class for apiVersion/kind. Throws for kinds the package has no upstream schema for
 * (custom resources, typos, removed API versions): an object we cannot validate is an error, not a skip.
 */
export async function modelFor(apiVersion: string, kind: string): Promise<ModelClass> {
  if (!API_VERSION.test(apiVersion) || !KIND.test(kind))
    throw new Error(`malformed apiVersion/kind ${JSON.stringify(apiVersion)} ${JSON.stringify(kind)}`);
  const specifier = `kubernetes-models/${apiVersion}/${kind}`;
  let module: unknown;
  try {
    module = await import(specifier);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new Error(`no upstream schema for ${apiVersion} ${kind} (cannot load ${specifier}: ${reason})`);
  }
  const model = isRecord(module) ? module[kind] : undefined;
  if (typeof model !== "function") throw new Error(`${specifier} does not export a model class named ${kind}`);
  return model as ModelClass;
}

/**
 * kustomize wraps long base64 values in Secret.data at 70 columns. The API server decodes []byte fields with Go's
 * base64 decoder, which ignores line breaks, so they are valid; the schema's "byte" format regex is stricter and
 * would reject them. Only line breaks are removed: any other non-base64 character still fails validation.
 */
function asApiServerReads(object: K8sObject): K8sObject {
  const copy = structuredClone(object);
  if (copy.kind === "Secret" && typeof copy.data === "object" && copy.data !== null)
    for (const [key, value] of Object.entries(copy.data as Record<string, unknown>))
      if (typeof value === "string") (copy.data as Record<string, unknown>)[key] = value.replace(/[\r\n]/g, "");
  return copy;
}

/** Throws a ValidationError naming the offending paths when the object does not match its schema. */
export async function validateObject(object: K8sObject): Promise<void> {
  const Model = await modelFor(object.apiVersion, object.kind);
  new Model(asApiServerReads(object)).validate();
}
