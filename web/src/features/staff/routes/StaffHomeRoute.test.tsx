import { screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession } from "../../../test/render";

const STAFF = "0b8e5a9c-1d2f-4e3a-8b7c-6d5e4f3a2b1c";
const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";

const user = {
  id: USER,
  email: "ada@example.com",
  full_name: "Ada Lovelace",
  status: "active",
  roles: ["customer"],
  mfa_enabled: false,
  email_verified: true,
  version: 1,
  created_at: "2026-11-30T12:00:00Z",
  updated_at: "2026-11-30T12:00:00Z",
};

async function find(id: string) {
  const typist = userEvent.setup();
  await typist.type(await screen.findByLabelText("Account or user id"), id);
  await typist.click(screen.getByRole("button", { name: "Find" }));
}

describe("the staff area", () => {
  it("is not offered to customers, and says so at its address", async () => {
    renderConsole("/staff", {}, signedInSession(USER, ["customer"]));
    expect(await screen.findByRole("heading", { name: "Staff only" })).toBeInTheDocument();
    expect(screen.queryByRole("link", { name: "Staff" })).not.toBeInTheDocument();
  });

  it("is in the header for staff", async () => {
    renderConsole("/staff", {}, signedInSession(STAFF, ["customer", "operator"]));
    expect(await screen.findByRole("heading", { name: "Staff" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Staff" })).toHaveAttribute("href", "/staff");
  });
});

describe("StaffHomeRoute", () => {
  it("finds an account by its id", async () => {
    const { router } = renderConsole(
      "/staff",
      {
        [`GET /v1/accounts/${ACCOUNT}`]: () =>
          json({ id: ACCOUNT, owner_id: USER, currency: "EUR", balance: 0, available: 0, held: 0, holds: {}, status: "open", version: 1, created_at: "2026-11-30T12:00:00Z", updated_at: "2026-11-30T12:00:00Z" }),
      },
      signedInSession(STAFF, ["operator"]),
    );
    await find(ACCOUNT.toUpperCase());
    expect(await screen.findByRole("heading", { name: "EUR account" })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe(`/staff/accounts/${ACCOUNT}`);
  });

  it("finds a user by id; an operator through the user's accounts, not the profile", async () => {
    const { requests } = renderConsole(
      "/staff",
      { [`GET /v1/users/${USER}/accounts`]: () => json({ items: [] }) },
      signedInSession(STAFF, ["operator"]),
    );
    await find(USER);
    expect(await screen.findByText("This user has no accounts.")).toBeInTheDocument();
    expect(screen.getByText(/Profiles are for auditors and admins/)).toBeInTheDocument();
    expect(requests.some((r) => new URL(r.url).pathname === `/v1/users/${USER}`)).toBe(false);
  });

  it("says when nothing has the id, and checks the id's shape first", async () => {
    const { requests } = renderConsole("/staff", {}, signedInSession(STAFF, ["auditor"]));
    await find("not-an-id");
    expect(await screen.findByText(/An id looks like/)).toBeInTheDocument();
    expect(requests).toHaveLength(0);
    await userEvent.setup().clear(screen.getByLabelText("Account or user id"));
    await find(USER);
    expect(await screen.findByRole("alert")).toHaveTextContent(`No account or user has the id ${USER}`);
  });

  it("lets auditors search users by name or address", async () => {
    const { requests } = renderConsole(
      "/staff",
      { "GET /v1/search/users": () => json({ items: [user], total: 1, next_cursor: null }) },
      signedInSession(STAFF, ["auditor"]),
    );
    const typist = userEvent.setup();
    await typist.type(await screen.findByLabelText("Name or e-mail address"), "ada");
    await typist.click(screen.getByRole("button", { name: "Search" }));
    expect(await screen.findByRole("link", { name: "Ada Lovelace" })).toHaveAttribute("href", `/staff/users/${USER}`);
    expect(screen.getByText("1 user found.")).toBeInTheDocument();
    const search = requests.find((r) => new URL(r.url).pathname === "/v1/search/users");
    expect(new URL(search?.url ?? "").searchParams.get("q")).toBe("ada");
  });

  it("tells operators that user search is for auditors", async () => {
    renderConsole("/staff", {}, signedInSession(STAFF, ["operator"]));
    expect(await screen.findByText(/Searching users by name or e-mail address is for auditors/)).toBeInTheDocument();
    expect(screen.queryByLabelText("Name or e-mail address")).not.toBeInTheDocument();
  });

  it("shows an auditor a user's profile and accounts", async () => {
    renderConsole(
      `/staff/users/${USER}`,
      {
        [`GET /v1/users/${USER}`]: () => json(user),
        [`GET /v1/users/${USER}/accounts`]: () => problem(503, "service-unavailable", "Mongo is down."),
      },
      signedInSession(STAFF, ["auditor"]),
    );
    expect(await screen.findByRole("heading", { name: "Ada Lovelace" })).toBeInTheDocument();
    expect(screen.getByText("ada@example.com (confirmed)")).toBeInTheDocument();
    expect(await screen.findByText(/The service is unavailable right now/)).toHaveAttribute("role", "alert");
  });
});
