import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { renderConsole, signedInSession } from "../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";

describe("ApiUnreachableBanner", () => {
  it("appears when the API does not answer, with the page still there", async () => {
    renderConsole(
      "/accounts",
      {
        [`GET /v1/users/${USER}/accounts`]: () => {
          throw new TypeError("Failed to fetch");
        },
      },
      signedInSession(USER),
    );
    expect(await screen.findByText(/Ledgerline cannot be reached right now/)).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Your accounts" })).toBeInTheDocument();
    expect(await screen.findByText(/The service cannot be reached/)).toBeInTheDocument();
  });

  it("is not there while the API answers", async () => {
    renderConsole("/login", {});
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(screen.queryByText(/cannot be reached/)).not.toBeInTheDocument();
  });
});
