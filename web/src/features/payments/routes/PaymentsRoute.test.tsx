import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { accountDoc, paymentDoc } from "../../../test/accounts";
import { json, renderConsole, signedInSession } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const MINE = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";
const SHOP = "0d7a6b5c-4e3f-4a2b-9c1d-8e7f6a5b4c3d";

const coffee = paymentDoc("11111111-1111-4111-8111-111111111111", MINE, SHOP, {
  merchant: "Coffee Corner",
  status: "captured",
  captured: 5000,
});
const beans = paymentDoc("22222222-2222-4222-8222-222222222222", SHOP, MINE, {
  merchant: "Bean Supply",
  amount: 1200,
});

function renderSearch(path: string) {
  return renderConsole(
    path,
    {
      [`GET /v1/users/${USER}/accounts`]: () => json({ items: [accountDoc(MINE, USER, 0, 1)] }),
      "GET /v1/search/payments": (request) => {
        const query = new URL(request.url).searchParams;
        if (query.get("cursor") === "next") {
          return json({ items: [beans], total: 2, facets: { status: {}, currency: {} }, next_cursor: null });
        }
        return json({
          items: [coffee],
          total: 2,
          facets: { status: { captured: 1, authorized: 1 }, currency: { EUR: 2 } },
          next_cursor: "next",
        });
      },
    },
    signedInSession(USER),
  );
}

const searches = (requests: Request[]) =>
  requests
    .filter((r) => new URL(r.url).pathname === "/v1/search/payments")
    .map((r) => Object.fromEntries(new URL(r.url).searchParams));

describe("the payments page", () => {
  it("searches with the URL's filters and shows them in the form", async () => {
    const { requests } = renderSearch(
      "/payments?q=coffee&status=captured&currency=EUR&min_amount=1000&max_amount=250000",
    );
    expect(await screen.findByRole("heading", { name: "2 payments found" })).toBeInTheDocument();
    expect(searches(requests)[0]).toEqual({
      q: "coffee",
      status: "captured",
      currency: "EUR",
      min_amount: "1000",
      max_amount: "250000",
      limit: "20",
    });
    expect(screen.getByLabelText("Search")).toHaveValue("coffee");
    expect(screen.getByLabelText("Status")).toHaveValue("captured");
    expect(screen.getByLabelText("Minimum amount (EUR)")).toHaveValue("10.00");
    expect(screen.getByLabelText("Maximum amount (EUR)")).toHaveValue("2500.00");
  });

  it("lists the payments with which side the user is on, and loads more with the cursor", async () => {
    const { requests } = renderSearch("/payments");
    const list = await screen.findByRole("list", { name: "Payments" });
    expect(within(list).getByRole("link", { name: "Coffee Corner" })).toHaveAttribute(
      "href",
      `/payments/${coffee.id}`,
    );
    expect(within(list).getByText(/You paid/)).toBeInTheDocument();
    await userEvent.setup().click(screen.getByRole("button", { name: "Load more" }));
    expect(await within(list).findByRole("link", { name: "Bean Supply" })).toBeInTheDocument();
    expect(within(list).getByText(/Paid to you/)).toBeInTheDocument();
    expect(searches(requests).map((query) => query.cursor)).toEqual([undefined, "next"]);
  });

  it("narrows the search by a facet, in the URL, and lets it go again", async () => {
    const { requests, router } = renderSearch("/payments?q=coffee");
    const facets = await screen.findByRole("navigation", { name: "Narrow the search" });
    const user = userEvent.setup();
    await user.click(within(facets).getByRole("link", { name: "Authorised (1)" }));
    await waitFor(() => {
      expect(router.state.location.search).toBe("?q=coffee&status=authorized");
    });
    await waitFor(() => {
      expect(searches(requests).at(-1)).toMatchObject({ q: "coffee", status: "authorized" });
    });
    expect(screen.getByLabelText("Status")).toHaveValue("authorized");
    const chosen = within(facets).getByRole("link", { name: /Authorised \(1\)/ });
    expect(chosen).toHaveAttribute("aria-current", "true");
    await user.click(chosen);
    await waitFor(() => {
      expect(router.state.location.search).toBe("?q=coffee");
    });
  });

  it("puts the filters typed into the URL, amounts in minor units of the currency", async () => {
    const { router } = renderSearch("/payments");
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("Search"), "beans");
    await user.type(screen.getByLabelText("Minimum amount"), "10");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText("Choose a currency to filter by amount.")).toBeInTheDocument();
    expect(router.state.location.search).toBe("");

    await user.selectOptions(screen.getByLabelText("Currency"), "EUR");
    await user.type(screen.getByLabelText("Maximum amount (EUR)"), "9.99");
    await user.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByText("The maximum must not be below the minimum.")).toBeInTheDocument();

    await user.clear(screen.getByLabelText("Maximum amount (EUR)"));
    await user.type(screen.getByLabelText("Maximum amount (EUR)"), "1,000.50");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => {
      expect(router.state.location.search).toBe(
        "?q=beans&currency=EUR&min_amount=1000&max_amount=100050",
      );
    });
  });
});
