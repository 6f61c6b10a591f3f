// The amount field of the money forms: its hint, keyboard and validation, one way everywhere.
// What people type is parsed exactly (lib/money) in their locale; the field is valid when it
// parses to a positive amount of the currency's minor units (and no more than `max`, if given).
import { formatMinorUnits, minorUnitExponent, parseAmount } from "../money/money";

export function amountHint(currency: string): string {
  return `For example ${minorUnitExponent(currency) === 0 ? "1250" : "12.50"}`;
}

export function amountInputMode(currency: string): "numeric" | "decimal" {
  return minorUnitExponent(currency) === 0 ? "numeric" : "decimal";
}

/** A react-hook-form `validate` for an amount of `currency`. */
export function validateAmount(currency: string, max?: bigint) {
  return (text: string): true | string => {
    const parsed = parseAmount(text, currency);
    if (!parsed.ok) return parsed.error;
    if (max !== undefined && parsed.minorUnits > max) {
      return `At most ${formatMinorUnits(max, currency)}.`;
    }
    return true;
  };
}
