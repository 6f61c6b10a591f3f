// Payment search filters and the page's URL query, both ways. The URL holds what the API takes
// (minor units, ISO codes, status names), so a shared link finds the same payments in any
// locale; only ids and these filters are ever in it, no personal data.
import { CURRENCY_CODES, MAX_AMOUNT } from "../../lib/money/money";
import type { PaymentStatus } from "./api/use-payment";

export const STATUS_LABELS: Readonly<Record<PaymentStatus, string>> = {
  authorized: "Authorised",
  captured: "Captured",
  voided: "Voided",
  partially_refunded: "Partly refunded",
  refunded: "Refunded",
};

export const PAYMENT_STATUSES = Object.keys(STATUS_LABELS) as PaymentStatus[];

export interface PaymentFilters {
  q?: string;
  status?: PaymentStatus;
  currency?: string;
  /** Minor units of `currency`, as decimal digits; only with a currency. */
  min_amount?: string;
  max_amount?: string;
  /** Only payments from or to this account (an account page's list; not in the URL). */
  account_id?: string;
}

const MAX_QUERY_CHARS = 200;

function isStatus(value: string | null): value is PaymentStatus {
  return value !== null && value in STATUS_LABELS;
}

function minorUnits(value: string | null): string | undefined {
  if (value === null || !/^\d{1,16}$/.test(value)) return undefined;
  const amount = BigInt(value);
  return amount <= MAX_AMOUNT ? amount.toString() : undefined;
}

/** The filters a URL query names; anything malformed is left out rather than sent. */
export function filtersFromParams(params: URLSearchParams): PaymentFilters {
  const filters: PaymentFilters = {};
  const q = params.get("q")?.trim();
  if (q) filters.q = q.slice(0, MAX_QUERY_CHARS);
  const status = params.get("status");
  if (isStatus(status)) filters.status = status;
  const currency = params.get("currency");
  if (currency !== null && CURRENCY_CODES.includes(currency)) {
    filters.currency = currency;
    const min = minorUnits(params.get("min_amount"));
    const max = minorUnits(params.get("max_amount"));
    if (min !== undefined) filters.min_amount = min;
    if (max !== undefined) filters.max_amount = max;
  }
  return filters;
}

/** The URL query of `filters`, in a fixed order. */
export function paramsFromFilters(filters: PaymentFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of ["q", "status", "currency", "min_amount", "max_amount"] as const) {
    const value = filters[name];
    if (value !== undefined && value !== "") params.set(name, value);
  }
  return params;
}

/** `filters` with one facet value chosen, or let go when it was the chosen one. */
export function toggled(
  filters: PaymentFilters,
  facet: "status" | "currency",
  value: string,
): PaymentFilters {
  if (filters[facet] === value) {
    // Amounts are in the currency's minor units: without the currency they mean nothing.
    return facet === "status"
      ? { ...filters, status: undefined }
      : { ...filters, currency: undefined, min_amount: undefined, max_amount: undefined };
  }
  if (facet === "status") return isStatus(value) ? { ...filters, status: value } : filters;
  const changedCurrency = filters.currency !== undefined && filters.currency !== value;
  return changedCurrency
    ? { ...filters, currency: value, min_amount: undefined, max_amount: undefined }
    : { ...filters, currency: value };
}

export function hasFilters(filters: PaymentFilters): boolean {
  return paramsFromFilters(filters).toString() !== "";
}
