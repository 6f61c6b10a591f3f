// The payment search's filters: text, status, currency and, in that currency, an amount range.
// Submitting puts them in the page's URL (the search follows the URL), so a search can be
// bookmarked and shared, and Back returns to the previous one.
import { useEffect } from "react";
import { useForm, useWatch } from "react-hook-form";
import { Link } from "react-router";

import { SelectField } from "../../../components/SelectField";
import { TextField } from "../../../components/TextField";
import { amountInputMode } from "../../../lib/forms/amount";
import { CURRENCY_CODES, minorUnitsAsInput, parseAmount } from "../../../lib/money/money";
import {
  PAYMENT_STATUSES,
  STATUS_LABELS,
  type PaymentFilters,
} from "../search-filters";

interface SearchValues {
  q: string;
  status: string;
  currency: string;
  min: string;
  max: string;
}

function valuesOf(filters: PaymentFilters): SearchValues {
  const asInput = (amount: string | undefined) =>
    amount === undefined || filters.currency === undefined
      ? ""
      : minorUnitsAsInput(amount, filters.currency);
  return {
    q: filters.q ?? "",
    status: filters.status ?? "",
    currency: filters.currency ?? "",
    min: asInput(filters.min_amount),
    max: asInput(filters.max_amount),
  };
}

/** The minor units typed in an amount field, as digits, or why they cannot be used. */
function amountOf(text: string, currency: string): { digits?: string; error?: string } {
  if (text.trim() === "") return {};
  if (currency === "") return { error: "Choose a currency to filter by amount." };
  const parsed = parseAmount(text, currency);
  return parsed.ok ? { digits: parsed.minorUnits.toString() } : { error: parsed.error };
}

export function PaymentSearchForm({
  filters,
  onSearch,
}: {
  filters: PaymentFilters;
  onSearch: (filters: PaymentFilters) => void;
}) {
  const { register, handleSubmit, reset, control, formState } = useForm<SearchValues>({
    defaultValues: valuesOf(filters),
  });
  const { errors } = formState;
  const currency = useWatch({ control, name: "currency" });

  // The URL changed by other means (a facet, Back): show its filters.
  useEffect(() => {
    reset(valuesOf(filters));
  }, [filters, reset]);

  const submit = handleSubmit((values) => {
    const min = amountOf(values.min, values.currency).digits;
    const max = amountOf(values.max, values.currency).digits;
    onSearch({
      q: values.q.trim() || undefined,
      status: PAYMENT_STATUSES.find((status) => status === values.status),
      currency: values.currency || undefined,
      min_amount: min,
      max_amount: max,
    });
  });

  const validAmount = (text: string, all: SearchValues) =>
    amountOf(text, all.currency).error ?? true;

  return (
    <form
      onSubmit={(event) => void submit(event)}
      noValidate
      role="search"
      aria-label="Search payments"
      className="filters"
    >
      <TextField
        label="Search"
        hint="Words of the merchant or the description."
        type="search"
        maxLength={200}
        {...register("q")}
      />
      <SelectField
        label="Status"
        options={[
          { value: "", label: "Any status" },
          ...PAYMENT_STATUSES.map((status) => ({ value: status, label: STATUS_LABELS[status] })),
        ]}
        {...register("status")}
      />
      <SelectField
        label="Currency"
        options={[{ value: "", label: "Any currency" }, ...CURRENCY_CODES]}
        {...register("currency")}
      />
      <TextField
        label={`Minimum amount${currency ? ` (${currency})` : ""}`}
        inputMode={currency ? amountInputMode(currency) : "decimal"}
        autoComplete="off"
        error={errors.min?.message}
        {...register("min", { validate: validAmount })}
      />
      <TextField
        label={`Maximum amount${currency ? ` (${currency})` : ""}`}
        inputMode={currency ? amountInputMode(currency) : "decimal"}
        autoComplete="off"
        error={errors.max?.message}
        {...register("max", {
          validate: (text, all) => {
            const own = validAmount(text, all);
            if (own !== true) return own;
            const min = amountOf(all.min, all.currency).digits;
            const max = amountOf(text, all.currency).digits;
            if (min !== undefined && max !== undefined && BigInt(min) > BigInt(max)) {
              return "The maximum must not be below the minimum.";
            }
            return true;
          },
        })}
      />
      <div className="filters-actions">
        <button type="submit">Search</button>
        <Link to="/payments">Clear the filters</Link>
      </div>
    </form>
  );
}
