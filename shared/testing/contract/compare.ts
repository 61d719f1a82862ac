import * as z from "zod";
import { isMatcher } from "../../src/contract/interactions/matchers.js";

/** One difference between what an interaction expects and what was actually sent or answered. */
export interface Mismatch {
  readonly path: string;
  readonly problem: string;
}

export interface CompareOptions {
  /**
   * Requests must carry exactly the interaction's fields ("reported"); responses may carry more than the consumer
   * reads ("allowed"), as a consumer must tolerate new fields.
   */
  readonly extraFields: "allowed" | "reported";
}

const show = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Compares an actual value with an interaction's expected one (literals and matchers), field by field. */
export function compareToExpected(
  expected: unknown,
  actual: unknown,
  path: string,
  options: CompareOptions,
): Mismatch[] {
  if (isMatcher(expected)) {
    switch (expected.$match) {
      case "type":
        return compareTypes(expected.example, actual, path);
      case "regex":
        return typeof actual === "string" && new RegExp(expected.pattern).test(actual)
          ? []
          : [{ path, problem: `expected a string matching /${expected.pattern}/, got ${show(actual)}` }];
      case "datetime":
        return z.iso.datetime().safeParse(actual).success
          ? []
          : [{ path, problem: `expected an ISO 8601 date-time, got ${show(actual)}` }];
    }
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [{ path, problem: `expected an array, got ${show(actual)}` }];
    if (actual.length !== expected.length) {
      return [{ path, problem: `expected ${expected.length} elements, got ${actual.length}` }];
    }
    return expected.flatMap((item, index) => compareToExpected(item, actual[index], `${path}[${index}]`, options));
  }
  if (isRecord(expected)) {
    if (!isRecord(actual)) return [{ path, problem: `expected an object, got ${show(actual)}` }];
    const missingOrDifferent = Object.entries(expected).flatMap(([key, value]) =>
      key in actual
        ? compareToExpected(value, actual[key], `${path}.${key}`, options)
        : [{ path: `${path}.${key}`, problem: `missing (expected ${show(exampleText(value))})` }],
    );
    const extra =
      options.extraFields === "reported"
        ? Object.keys(actual)
            .filter((key) => !(key in expected))
            .map((key) => ({ path: `${path}.${key}`, problem: `not in the interaction (got ${show(actual[key])})` }))
        : [];
    return [...missingOrDifferent, ...extra];
  }
  return Object.is(expected, actual) ? [] : [{ path, problem: `expected ${show(expected)}, got ${show(actual)}` }];
}

/** Type placeholders: the same JSON type as the example; objects and arrays by the same shape. */
function compareTypes(example: unknown, actual: unknown, path: string): Mismatch[] {
  if (jsonType(example) !== jsonType(actual)) {
    return [{ path, problem: `expected any ${jsonType(example)}, got ${show(actual)}` }];
  }
  if (isRecord(example) && isRecord(actual)) {
    return Object.entries(example).flatMap(([key, value]) =>
      key in actual
        ? compareTypes(value, actual[key], `${path}.${key}`)
        : [{ path: `${path}.${key}`, problem: "missing" }],
    );
  }
  if (Array.isArray(example) && Array.isArray(actual) && example.length > 0) {
    return actual.flatMap((item, index) => compareTypes(example[0], item, `${path}[${index}]`));
  }
  return [];
}

function exampleText(value: unknown): unknown {
  return isMatcher(value) ? value.example : value;
}

/** Validates a value with a shared zod schema; each issue names the field (required, type, enum value...). */
export function schemaMismatches(schema: z.ZodType, value: unknown, root: string): Mismatch[] {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({
    path: [root, ...issue.path.map(String)].join("."),
    problem: `schema: ${issue.message}`,
  }));
}
