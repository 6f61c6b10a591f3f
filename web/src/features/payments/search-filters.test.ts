import { describe, expect, it } from "vitest";

import { filtersFromParams, paramsFromFilters, toggled } from "./search-filters";

const params = (query: string) => new URLSearchParams(query);

describe("payment search filters in the URL", () => {
  it("reads what the API takes and leaves out what it would refuse", () => {
    expect(
      filtersFromParams(
        params("q=+coffee+&status=captured&currency=EUR&min_amount=1000&max_amount=2500"),
      ),
    ).toEqual({
      q: "coffee",
      status: "captured",
      currency: "EUR",
      min_amount: "1000",
      max_amount: "2500",
    });
    expect(
      filtersFromParams(params("status=lost&currency=XXY&min_amount=1000&max_amount=-5")),
    ).toEqual({});
    expect(filtersFromParams(params("currency=EUR&min_amount=12.5&max_amount=1e3"))).toEqual({
      currency: "EUR",
    });
    expect(filtersFromParams(params("currency=EUR&max_amount=1000000000000001"))).toEqual({
      currency: "EUR",
    });
  });

  it("ignores amounts without a currency (minor units of nothing)", () => {
    expect(filtersFromParams(params("min_amount=1000"))).toEqual({});
  });

  it("writes the filters back in a fixed order, leaving out what is not set", () => {
    const filters = { currency: "EUR", q: "tea", min_amount: "5", max_amount: undefined };
    expect(paramsFromFilters(filters).toString()).toBe("q=tea&currency=EUR&min_amount=5");
  });

  it("chooses a facet value, and lets it go when chosen again", () => {
    const filters = { q: "tea", currency: "EUR", min_amount: "5" };
    expect(toggled(filters, "status", "captured")).toEqual({ ...filters, status: "captured" });
    expect(toggled({ ...filters, status: "captured" }, "status", "captured").status).toBeUndefined();
    // The amounts were minor units of EUR: another currency, or none, drops them.
    expect(paramsFromFilters(toggled(filters, "currency", "EUR")).toString()).toBe("q=tea");
    expect(paramsFromFilters(toggled(filters, "currency", "USD")).toString()).toBe(
      "q=tea&currency=USD",
    );
  });
});
