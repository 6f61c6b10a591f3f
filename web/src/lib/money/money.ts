// Money for people: integer minor units (as the API sends them) shown with the currency's
// ISO 4217 exponent in the user's locale, and amounts people type parsed exactly into minor
// units. No floating point anywhere: arithmetic is on bigint, Intl only lays out the parts.
import currencies from "../generated/currencies.json";

/** The most the API accepts in one amount, in minor units (10^15). */
export const MAX_AMOUNT = 10n ** 15n;

const EXPONENTS: Readonly<Record<string, number>> = currencies;

/** The currencies the backend accepts (active ISO 4217 codes), sorted. */
export const CURRENCY_CODES: readonly string[] = Object.keys(EXPONENTS);

/** Decimal places of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD. Codes the
 * table lacks (a withdrawn currency in old history) get 2, as the backend shows them. */
export function minorUnitExponent(currency: string): number {
  return EXPONENTS[currency] ?? 2;
}

/** Minor units as a bigint. A number is taken as it is if it is an integer: past 2^53 the JSON
 * parser may already have rounded it (a balance of more than 9 * 10^13 euros), which no
 * arithmetic here can undo, and showing it beats refusing to show the page. */
function toBigInt(amount: bigint | number | string): bigint {
  if (typeof amount === "bigint") return amount;
  if (typeof amount === "number" && !Number.isInteger(amount)) {
    throw new RangeError(`not an integer number of minor units: ${amount}`);
  }
  if (typeof amount === "string" && !/^-?\d+$/.test(amount)) {
    throw new RangeError(`not an integer number of minor units: ${amount}`);
  }
  return BigInt(amount);
}

/** The locale's digits 0-9 (Latin for most, Arabic-Indic for ar-EG, …). */
function localeDigits(locale: string | undefined): string[] {
  const plain = new Intl.NumberFormat(locale, { useGrouping: false });
  return Array.from({ length: 10 }, (_, digit) => plain.format(digit));
}

function toAsciiDigits(text: string, locale: string | undefined): string {
  const digits = localeDigits(locale);
  return text.replace(/./gu, (c) => {
    const index = digits.indexOf(c);
    return index === -1 ? c : String(index);
  });
}

/**
 * Format integer minor units as money in `locale` (default: the browser's), e.g.
 * formatMinorUnits(123456n, "EUR", "de-DE") → "1.234,56 €". Intl formats the whole units
 * (a bigint, exact at any size) with the currency's decimals; the exact fraction digits are
 * then put in place of the fraction part it produced.
 */
export function formatMinorUnits(
  amount: bigint | number | string,
  currency: string,
  locale?: string,
): string {
  const minor = toBigInt(amount);
  const exponent = minorUnitExponent(currency);
  const scale = 10n ** BigInt(exponent);
  const negative = minor < 0n;
  const magnitude = negative ? -minor : minor;
  const whole = magnitude / scale;
  const fraction = (magnitude % scale).toString().padStart(exponent, "0");
  const formatter = new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  const digits = localeDigits(locale);
  const local = (text: string) => text.replace(/\d/g, (d) => digits[Number(d)] ?? d);
  // bigint has no -0: a negative amount under one whole unit is laid out as -1 with its
  // integer part then replaced by zero.
  const laidOut = negative ? -(whole === 0n ? 1n : whole) : whole;
  return formatter
    .formatToParts(laidOut)
    .map((part) => {
      if (part.type === "fraction") return local(fraction);
      if (part.type === "integer" && negative && whole === 0n) return local("0");
      return part.value;
    })
    .join("");
}

/** Whether digits split at group separators are grouped as people write them: in threes, or
 * as the locale itself groups that number (1,23,456 in hi-IN). */
function groupedAsWritten(
  groups: string[],
  wholeDigits: string,
  locale: string | undefined,
  groupMark: string,
): boolean {
  const [first = "", ...rest] = groups;
  if (/^\d{1,3}$/.test(first) && rest.every((group) => /^\d{3}$/.test(group))) return true;
  if (wholeDigits === "") return false;
  const localeWay = new Intl.NumberFormat(locale)
    .formatToParts(BigInt(wholeDigits))
    .map((part) => (part.type === "group" ? groupMark : part.value))
    .join("");
  return toAsciiDigits(localeWay, locale) === groups.join(groupMark);
}

export type ParsedAmount =
  | { ok: true; minorUnits: bigint }
  | { ok: false; error: string };

interface Separators {
  decimal: string;
  group: string;
}

function separators(locale: string | undefined): Separators {
  const parts = new Intl.NumberFormat(locale).formatToParts(12345.6);
  return {
    decimal: parts.find((part) => part.type === "decimal")?.value ?? ".",
    group: parts.find((part) => part.type === "group")?.value ?? ",",
  };
}

const SPACES = /[\s\u00a0\u202f]/g;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Parse an amount a person typed ("12.34", "1.234,5" in de-DE, "1 234,5" in fr-FR) into minor
 * units of `currency`, exactly. The locale's decimal separator is the decimal point; where the
 * locale does not use the other of "." and "," for grouping, that one is accepted as a decimal
 * point too. Group separators must sit between groups of three digits, so "12,34" in en-US is
 * refused rather than read as 1234. Refused: negatives, signs, letters, more decimals than the
 * currency has, zero, and more than MAX_AMOUNT.
 */
export function parseAmount(text: string, currency: string, locale?: string): ParsedAmount {
  const exponent = minorUnitExponent(currency);
  const { decimal, group } = separators(locale);
  let input = toAsciiDigits(text.trim(), locale);
  if (input === "") return { ok: false, error: "Enter an amount." };
  if (/^[-−]/.test(input)) return { ok: false, error: "The amount must be positive." };
  // Spaces (and the locale's own group separator when it is a kind of space) group digits.
  const groupIsSpace = group.replace(SPACES, "") === "";
  input = input.replace(SPACES, groupIsSpace ? "\u0000" : "");
  const groupMark = groupIsSpace ? "\u0000" : group;
  const decimalMarks = [decimal, ...[".", ","].filter((c) => c !== decimal && c !== group)];
  const decimalPattern = decimalMarks.map(escape).join("|");
  const shape = new RegExp(`^([0-9${escape(groupMark)}]*)(?:(${decimalPattern})([0-9]*))?$`, "u");
  const match = shape.exec(input);
  if (match === null) return { ok: false, error: "Enter digits only, e.g. 12.50." };
  const [, integerText = "", decimalMark, fractionText = ""] = match;
  const groups = integerText.split(groupMark);
  const wholeDigits = groups.join("");
  if (groups.length > 1 && !groupedAsWritten(groups, wholeDigits, locale, groupMark)) {
    return { ok: false, error: `Use "${decimal}" for decimals.` };
  }
  if (wholeDigits === "" && fractionText === "") {
    return { ok: false, error: "Enter digits only, e.g. 12.50." };
  }
  if (decimalMark !== undefined && exponent === 0) {
    return { ok: false, error: `${currency} has no decimals.` };
  }
  if (fractionText.length > exponent) {
    return { ok: false, error: `At most ${exponent} decimal places for ${currency}.` };
  }
  const minorUnits =
    BigInt(wholeDigits || "0") * 10n ** BigInt(exponent) +
    BigInt(fractionText.padEnd(exponent, "0") || "0");
  if (minorUnits === 0n) return { ok: false, error: "The amount must be more than zero." };
  if (minorUnits > MAX_AMOUNT) return { ok: false, error: "The amount is too large." };
  return { ok: true, minorUnits };
}

/** Minor units as the JSON number the API takes. Amounts are at most MAX_AMOUNT (10^15), well
 * within the integers a double holds exactly (2^53), so the number is the same integer. */
export function amountForApi(minorUnits: bigint): number {
  if (minorUnits < 0n || minorUnits > MAX_AMOUNT) {
    throw new RangeError(`not an amount the API takes: ${minorUnits}`);
  }
  return Number(minorUnits);
}

/** Minor units written back as people type them, for a form field: the locale's digits and
 * decimal separator, no grouping and no currency sign (1050n EUR → "10.50", "10,50" in de-DE),
 * which parseAmount reads back to the same minor units. */
export function minorUnitsAsInput(
  amount: bigint | number | string,
  currency: string,
  locale?: string,
): string {
  const minor = toBigInt(amount);
  const exponent = minorUnitExponent(currency);
  const scale = 10n ** BigInt(exponent);
  const digits = localeDigits(locale);
  const local = (text: string) => text.replace(/\d/g, (d) => digits[Number(d)] ?? d);
  const sign = minor < 0n ? "-" : "";
  const magnitude = minor < 0n ? -minor : minor;
  const whole = local((magnitude / scale).toString());
  if (exponent === 0) return sign + whole;
  const fraction = local((magnitude % scale).toString().padStart(exponent, "0"));
  return `${sign}${whole}${separators(locale).decimal}${fraction}`;
}
