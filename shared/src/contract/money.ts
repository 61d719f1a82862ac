import currencyCodes from "currency-codes";
import * as z from "zod";

// ISO 4217 entries that are not money anyone can pay with (precious metals, bond units, test and "no currency" codes).
const NON_TENDER_MARKER = "Zz";

const minorDigitsByCode: ReadonlyMap<string, number> = new Map(
  currencyCodes.data
    .filter((entry) => !entry.countries.some((country) => country.startsWith(NON_TENDER_MARKER)))
    .map((entry) => [entry.code, entry.digits]),
);

/** Largest amount accepted anywhere, in minor units: keeps every sum exact in a double and in int8. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;

export function isKnownCurrency(code: string): boolean {
  return minorDigitsByCode.has(code);
}

export function minorUnitDigits(currency: string): number {
  const digits = minorDigitsByCode.get(currency);
  if (digits === undefined) throw new RangeError(`unknown ISO 4217 currency code: ${currency}`);
  return digits;
}

export const CurrencyCode = z
  .string()
  .regex(/^[A-Z]{3}$/, "must be a three-letter ISO 4217 code in upper case")
  .refine(isKnownCurrency, "is not a known ISO 4217 currency code");
export type CurrencyCode = z.infer<typeof CurrencyCode>;

export const AmountMinor = z
  .number()
  .int("must be an integer number of minor units")
  .positive("must be greater than zero")
  .max(MAX_AMOUNT_MINOR, `must be at most ${MAX_AMOUNT_MINOR} minor units`);

export const Money = z.object({ amountMinor: AmountMinor, currency: CurrencyCode });
export type Money = z.infer<typeof Money>;

export type MajorToMinorResult = { ok: true; amountMinor: number } | { ok: false; reason: string };

/**
 * Converts a decimal amount in major units (as legacy clients send it, e.g. 12.15 EUR) to integer minor units.
 * Refuses amounts with more decimals than the currency has instead of rounding them away.
 */
export function majorToMinor(value: number, currency: string): MajorToMinorResult {
  if (!Number.isFinite(value)) return { ok: false, reason: "must be a finite number" };
  if (value <= 0) return { ok: false, reason: "must be greater than zero" };
  const digits = minorUnitDigits(currency);
  if (decimalPlaces(value) > digits) {
    return { ok: false, reason: `has more than ${digits} decimal places for ${currency}` };
  }
  const amountMinor = Math.round(value * 10 ** digits);
  if (amountMinor <= 0) return { ok: false, reason: "must be greater than zero" };
  if (amountMinor > MAX_AMOUNT_MINOR) return { ok: false, reason: "is too large" };
  return { ok: true, amountMinor };
}

/** Decimal places in the shortest text that round-trips the number (what the client wrote: 12.15 -> 2). */
function decimalPlaces(value: number): number {
  const [mantissa = "", exponent = "0"] = value.toString().toLowerCase().split("e");
  const fraction = mantissa.split(".")[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** Renders minor units as the major-unit number legacy clients read (1215 EUR -> 12.15). */
export function minorToMajor(amountMinor: number, currency: string): number {
  const digits = minorUnitDigits(currency);
  return Number((amountMinor / 10 ** digits).toFixed(digits));
}
