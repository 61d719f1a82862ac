import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CurrencyCode, isKnownCurrency, majorToMinor, minorToMajor, minorUnitDigits } from "../src/contract/money.js";

describe("money", () => {
  it("knows the minor unit digits of ISO 4217 currencies", () => {
    expect(minorUnitDigits("EUR")).toBe(2);
    expect(minorUnitDigits("JPY")).toBe(0);
    expect(minorUnitDigits("BHD")).toBe(3);
  });

  it("refuses codes that are not money: test, metals, lower case, unknown", () => {
    for (const code of ["XTS", "XXX", "XAU", "eur", "EURO", "ABC", ""]) {
      expect(CurrencyCode.safeParse(code).success, code).toBe(false);
    }
    expect(isKnownCurrency("DKK")).toBe(true);
  });

  it("converts the seed values exactly", () => {
    expect(majorToMinor(12.15, "EUR")).toEqual({ ok: true, amountMinor: 1215 });
    expect(majorToMinor(10.25, "GBP")).toEqual({ ok: true, amountMinor: 1025 });
    expect(majorToMinor(66.13, "DKK")).toEqual({ ok: true, amountMinor: 6613 });
    expect(minorToMajor(1215, "EUR")).toBe(12.15);
  });

  it("refuses more decimals than the currency has instead of rounding", () => {
    expect(majorToMinor(12.151, "EUR").ok).toBe(false);
    expect(majorToMinor(1.5, "JPY").ok).toBe(false);
    expect(majorToMinor(168954.0160338483, "EUR").ok).toBe(false);
    expect(majorToMinor(1e-7, "EUR").ok).toBe(false);
    expect(majorToMinor(1e9, "EUR")).toEqual({ ok: true, amountMinor: 100_000_000_000 });
    expect(majorToMinor(1.234, "BHD")).toEqual({ ok: true, amountMinor: 1234 });
  });

  it("refuses zero, negative and non-finite amounts", () => {
    for (const value of [0, -1, -0.01, Number.NaN, Number.POSITIVE_INFINITY, 1e300]) {
      expect(majorToMinor(value, "EUR").ok, String(value)).toBe(false);
    }
  });

  it("round-trips every representable amount (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000_000_000 }),
        fc.constantFrom("EUR", "JPY", "BHD"),
        (minor, cur) => {
          expect(majorToMinor(minorToMajor(minor, cur), cur)).toEqual({ ok: true, amountMinor: minor });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
