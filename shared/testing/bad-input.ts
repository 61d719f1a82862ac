import fc from "fast-check";
import { isKnownCurrency } from "../src/contract/money.js";

/** Text that is not JSON at all, including the non-JSON number spellings clients sometimes send. */
export const malformedJson = fc.oneof(
  fc.constantFrom("", " ", "{", "[", "NaN", "Infinity", "-Infinity", "{'a':1}", '{"Value": NaN}', "undefined"),
  fc.string().filter((text) => {
    try {
      JSON.parse(text);
      return false;
    } catch {
      return true;
    }
  }),
);

/** JSON documents that are not objects. */
export const nonObjectJson = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string(),
  fc.array(fc.jsonValue(), { maxLength: 5 }),
);

const wrongType = fc.oneof(fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.object());

/** Values that are never an acceptable amount (major or minor units). */
export const badAmount = fc.oneof(
  wrongType,
  fc.string(),
  fc.double({ max: 0, noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(-1, 0, -0.01, 1e300, -1e300, Number.MAX_VALUE),
);

/** Values that are never an acceptable integer minor-unit amount. */
export const badMinorAmount = fc.oneof(
  badAmount,
  fc.double({ min: 0.001, max: 1e6, noNaN: true }).filter((value) => !Number.isInteger(value)),
  fc.constantFrom(1e13, 2 ** 53),
);

/** Values that are never a known ISO 4217 code. */
export const badCurrency = fc.oneof(
  wrongType,
  fc.integer(),
  fc.string({ maxLength: 6 }).filter((code) => !isKnownCurrency(code)),
  fc.constantFrom("", "eur", "EURO", "XTS", "XXX", "XAU", "ZZZ", " EUR"),
);

/** Values that are never an acceptable invoice id. */
export const badId = fc.oneof(
  wrongType,
  fc.integer(),
  fc.constantFrom("", " ", "a b", "x".repeat(65), "../etc", "I1;DROP TABLE invoices", "é"),
);

/**
 * Starting from a valid body, breaks it in one of the ways a client can: a field with a bad value,
 * a required field missing, or an unexpected field (for strict bodies).
 */
export function brokenBody(
  valid: Record<string, unknown>,
  badValues: Record<string, fc.Arbitrary<unknown>>,
  options: { required: string[]; strict: boolean },
): fc.Arbitrary<Record<string, unknown>> {
  const badField = fc
    .constantFrom(...Object.keys(badValues))
    .chain((field) => (badValues[field] as fc.Arbitrary<unknown>).map((value) => ({ ...valid, [field]: value })));
  const missing = fc.constantFrom(...options.required).map((field) => {
    const { [field]: _dropped, ...rest } = valid;
    return rest;
  });
  const extra = fc
    .string({ minLength: 1, maxLength: 10 })
    .filter((key) => !(key in valid) && key !== "__proto__")
    .map((key) => ({ ...valid, [key]: 1 }));
  return options.strict ? fc.oneof(badField, missing, extra) : fc.oneof(badField, missing);
}
