// skaffold.yaml against Skaffold's official JSON schema for its apiVersion (../shared/schemas/, outside this repo).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { describe, expect, it } from "vitest";
import { isObject, objectAt, readSkaffoldRaw, repoRoot } from "./lib.js";

const API_VERSION = "skaffold/v4beta14";
const schemaPath = resolve(repoRoot, "..", "shared", "schemas", "skaffold-v4beta14.json");
const haveSchema = existsSync(schemaPath);
// CI can insist on the schema (REQUIRE_SKAFFOLD_SCHEMA=1) so a missing ../shared fails instead of skipping.
const schemaRequired = process.env.REQUIRE_SKAFFOLD_SCHEMA === "1";

if (!haveSchema) {
  console.warn(
    `[skaffold schema] ${schemaPath} not found: the JSON-schema validation of skaffold.yaml is SKIPPED. ` +
      "It runs wherever ../shared/schemas exists (CI); set REQUIRE_SKAFFOLD_SCHEMA=1 to make its absence an error.",
  );
}

let compiled: ValidateFunction | undefined;

function compileSchema(): ValidateFunction {
  if (compiled) return compiled;
  const schema: unknown = JSON.parse(readFileSync(schemaPath, "utf8"));
  if (!isObject(schema)) throw new Error(`${schemaPath}: not a JSON object`);
  // The schema declares draft-07 ("$schema": "http://json-schema.org/draft-07/schema#"), which is what the default
  // Ajv class implements. Full strict mode, nothing loosened: Skaffold's two vendor keywords are registered as
  // annotation-only keywords, so any other unknown or misused keyword in the schema would still be an error.
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addKeyword({ keyword: "preferredOrder", schemaType: "array" });
  ajv.addKeyword({ keyword: "x-intellij-html-description", schemaType: "string" });
  compiled = ajv.compile(schema);
  return compiled;
}

function errorsOf(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("\n");
}

describe("skaffold.yaml", () => {
  it(`declares apiVersion ${API_VERSION} and kind Config (the schema does not check the version string)`, () => {
    const raw = objectAt(readSkaffoldRaw(), "skaffold.yaml");
    expect(raw.apiVersion).toBe(API_VERSION);
    expect(raw.kind).toBe("Config");
    expect(isObject(raw.metadata) && typeof raw.metadata.name === "string").toBe(true);
  });

  it("can find the schema when CI requires it", () => {
    expect(haveSchema || !schemaRequired, `${schemaPath} is missing and REQUIRE_SKAFFOLD_SCHEMA=1`).toBe(true);
  });

  it.skipIf(!haveSchema)(`validates against ${join("..", "shared", "schemas", "skaffold-v4beta14.json")}`, () => {
    const schema: unknown = JSON.parse(readFileSync(schemaPath, "utf8"));
    // If Skaffold ever moves to another draft, the Ajv class above must change with it.
    expect(isObject(schema) && schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    const validate = compileSchema();
    const valid = validate(readSkaffoldRaw());
    expect(valid, errorsOf(validate)).toBe(true);
  });

  it.skipIf(!haveSchema)("the compiled schema rejects what Skaffold would reject (the check can fail)", () => {
    const validate = compileSchema();
    const raw = objectAt(readSkaffoldRaw(), "skaffold.yaml");
    // A misspelt sync field, an unknown top-level section and a port given as an object: each one must fail.
    const broken: unknown[] = [
      {
        ...raw,
        build: { artifacts: [{ image: "invoice-app", sync: { manual: [{ source: "src/**", dest: "." }] } }] },
      },
      { ...raw, deployy: {} },
      { ...raw, portForward: [{ resourceType: "service", resourceName: "x", port: { number: 8081 } }] },
    ];
    for (const config of broken) {
      expect(validate(config), JSON.stringify(config).slice(0, 200)).toBe(false);
    }
  });
});
