import { describe, expect, it } from "vitest";

import {
  CURRENCY_CODES,
  MAX_AMOUNT,
  amountForApi,
  formatMinorUnits,
  minorUnitExponent,
  minorUnitsAsInput,
  parseAmount,
} from "./money";

// Intl separates some currency symbols with a no-break space; compare with plain spaces.
const plain = (text: string) => text.replace(/[\u00a0\u202f]/g, " ");

describe("minorUnitExponent", () => {
  it("follows ISO 4217's minor unit column", () => {
    expect(minorUnitExponent("EUR")).toBe(2);
    expect(minorUnitExponent("JPY")).toBe(0);
    expect(minorUnitExponent("KWD")).toBe(3);
    expect(minorUnitExponent("CLF")).toBe(4);
  });

  it("gives 2 to a code the table lacks, as the backend does", () => {
    expect(minorUnitExponent("HRK")).toBe(2);
  });

  it("knows every currency the backend accepts", () => {
    expect(CURRENCY_CODES).toContain("EUR");
    expect(CURRENCY_CODES).toContain("USD");
    expect(CURRENCY_CODES).not.toContain("HRK");
    expect(CURRENCY_CODES.length).toBeGreaterThan(170);
  });
});

describe("formatMinorUnits", () => {
  it("shows minor units with the currency's decimals in the locale", () => {
    expect(formatMinorUnits(123456, "EUR", "en-US")).toBe("€1,234.56");
    expect(plain(formatMinorUnits(123456, "EUR", "de-DE"))).toBe("1.234,56 €");
    expect(plain(formatMinorUnits(123456, "EUR", "fr-FR"))).toBe("1 234,56 €");
    expect(formatMinorUnits(5, "USD", "en-US")).toBe("$0.05");
    expect(formatMinorUnits(0, "USD", "en-US")).toBe("$0.00");
  });

  it("uses exponent 0 and 3 where the currency has them", () => {
    expect(formatMinorUnits(1234, "JPY", "en-US")).toBe("¥1,234");
    expect(plain(formatMinorUnits(1234567, "KWD", "en-US"))).toBe("KWD 1,234.567");
    expect(plain(formatMinorUnits(1, "KWD", "en-US"))).toBe("KWD 0.001");
  });

  it("is exact beyond what a double can hold", () => {
    // 2^53 + 1 minor units: a float would print ...992.
    expect(formatMinorUnits(9007199254740993n, "USD", "en-US")).toBe("$90,071,992,547,409.93");
    expect(formatMinorUnits(MAX_AMOUNT, "EUR", "en-US")).toBe("€10,000,000,000,000.00");
    expect(formatMinorUnits("1000000000000001", "EUR", "en-US")).toBe("€10,000,000,000,000.01");
  });

  it("writes the fraction in the locale's own digits", () => {
    expect(formatMinorUnits(123456, "EUR", "ar-EG")).toContain("١٬٢٣٤٫٥٦");
  });

  it("keeps the sign of amounts under one whole unit", () => {
    expect(formatMinorUnits(-5, "EUR", "en-US")).toBe("-€0.05");
    expect(formatMinorUnits(-123456, "EUR", "en-US")).toBe("-€1,234.56");
  });

  it("shows integer numbers past 2^53 as the JSON parser gave them", () => {
    expect(formatMinorUnits(2 ** 53, "USD", "en-US")).toBe("$90,071,992,547,409.92");
  });

  it("refuses amounts that are not whole minor units", () => {
    expect(() => formatMinorUnits(12.5, "EUR", "en-US")).toThrow(RangeError);
    expect(() => formatMinorUnits("12.5", "EUR", "en-US")).toThrow(RangeError);
    expect(() => formatMinorUnits(Number.NaN, "EUR", "en-US")).toThrow(RangeError);
  });
});

describe("parseAmount", () => {
  const minor = (text: string, currency = "EUR", locale = "en-US") => {
    const parsed = parseAmount(text, currency, locale);
    return parsed.ok ? parsed.minorUnits : parsed.error;
  };

  it("reads decimals exactly into minor units", () => {
    expect(minor("12.34")).toBe(1234n);
    expect(minor("0.1")).toBe(10n);
    expect(minor("0.07")).toBe(7n);
    expect(minor("12")).toBe(1200n);
    expect(minor(" 12.5 ")).toBe(1250n);
    expect(minor(".5")).toBe(50n);
    expect(minor("12.")).toBe(1200n);
    // 0.1 + 0.2 style traps: a float would give 1.1500000000000001 or round 1.005 down.
    expect(minor("1.15")).toBe(115n);
    expect(minor("1.005", "KWD")).toBe(1005n);
  });

  it("reads the locale's separators", () => {
    expect(minor("12,34", "EUR", "de-DE")).toBe(1234n);
    expect(minor("1.234,56", "EUR", "de-DE")).toBe(123456n);
    expect(minor("1 234,56", "EUR", "fr-FR")).toBe(123456n);
    expect(minor("1\u202f234,56", "EUR", "fr-FR")).toBe(123456n);
    expect(minor("1,234.56", "EUR", "en-US")).toBe(123456n);
    expect(minor("1'234.56", "CHF", "de-CH")).toBe(123456n);
    expect(minor("1,23,456.78", "INR", "hi-IN")).toBe(12345678n);
    expect(minor("١٢٣٫٤٥", "EGP", "ar-EG")).toBe(12345n);
  });

  it("takes a point for decimals where the locale does not group with one", () => {
    expect(minor("12.34", "EUR", "fr-FR")).toBe(1234n);
  });

  it("refuses a separator that would change the amount's meaning", () => {
    // In en-US "," groups thousands: "12,34" is not 1234 and not 12.34.
    expect(minor("12,34", "EUR", "en-US")).toBe('Use "." for decimals.');
    expect(minor("12.34", "EUR", "de-DE")).toBe('Use "," for decimals.');
    expect(minor("1234,56", "EUR", "en-US")).toBe('Use "." for decimals.');
  });

  it("refuses more decimals than the currency has", () => {
    expect(minor("12.345")).toBe("At most 2 decimal places for EUR.");
    expect(minor("1.5", "JPY")).toBe("JPY has no decimals.");
    expect(minor("1500", "JPY")).toBe(1500n);
    expect(minor("1.0001", "KWD")).toBe("At most 3 decimal places for KWD.");
  });

  it("refuses negatives, zero, signs and garbage", () => {
    expect(minor("-12")).toBe("The amount must be positive.");
    expect(minor("−12")).toBe("The amount must be positive.");
    expect(minor("0")).toBe("The amount must be more than zero.");
    expect(minor("0.00")).toBe("The amount must be more than zero.");
    expect(minor("")).toBe("Enter an amount.");
    expect(minor("   ")).toBe("Enter an amount.");
    for (const garbage of ["+12", "12a", "1e3", "€12", "12.3.4", ".", "0x10", "NaN", "Infinity"]) {
      expect(minor(garbage)).toBe("Enter digits only, e.g. 12.50.");
    }
  });

  it("refuses more than the API accepts", () => {
    expect(minor("10000000000000.00")).toBe(MAX_AMOUNT);
    expect(minor("10000000000000.01")).toBe("The amount is too large.");
    expect(minor("99999999999999999999999")).toBe("The amount is too large.");
  });

  it("round-trips what formatMinorUnits shows, without the symbol", () => {
    for (const [locale, amount] of [
      ["en-US", 123456789n],
      ["de-DE", 100n],
      ["fr-FR", 987654321n],
    ] as const) {
      const shown = formatMinorUnits(amount, "EUR", locale).replace(/[^\d.,\u00a0\u202f ]/g, "").trim();
      expect(minor(shown, "EUR", locale)).toBe(amount);
    }
  });
});

describe("amountForApi", () => {
  it("is the same integer as a number, up to the API's maximum", () => {
    expect(amountForApi(123456n)).toBe(123456);
    expect(amountForApi(MAX_AMOUNT)).toBe(1_000_000_000_000_000);
    expect(() => amountForApi(MAX_AMOUNT + 1n)).toThrow(RangeError);
    expect(() => amountForApi(-1n)).toThrow(RangeError);
  });
});

describe("minorUnitsAsInput", () => {
  it("writes minor units as a person would type them, in the locale", () => {
    expect(minorUnitsAsInput(1050n, "EUR", "en-US")).toBe("10.50");
    expect(minorUnitsAsInput(123456789n, "EUR", "de-DE")).toBe("1234567,89");
    expect(minorUnitsAsInput(7, "JPY", "en-US")).toBe("7");
    expect(minorUnitsAsInput("5", "KWD", "en-US")).toBe("0.005");
  });

  it("is read back by parseAmount to the same minor units", () => {
    for (const [amount, currency, locale] of [
      [1n, "EUR", "en-US"],
      [99999n, "EUR", "fr-FR"],
      [MAX_AMOUNT, "USD", "hi-IN"],
      [12345n, "KWD", "ar-EG"],
    ] as const) {
      expect(parseAmount(minorUnitsAsInput(amount, currency, locale), currency, locale)).toEqual({
        ok: true,
        minorUnits: amount,
      });
    }
  });
});
