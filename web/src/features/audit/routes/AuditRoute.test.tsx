import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const AUDITOR = "0b8e5a9c-1d2f-4e3a-8b7c-6d5e4f3a2b1c";
const OWNER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ACCOUNT = "c81d4e2f-3a6b-4f90-8e17-d2a5b9c0e473";

function state(version: number, balance: number, status = "open") {
  return { id: ACCOUNT, version, owner_id: OWNER, currency: "EUR", balance, holds: {}, status };
}

function event(version: number, type: string, command: string, correlation: string, balance: number) {
  return {
    event_id: `00000000-0000-4000-8000-00000000000${version}`,
    position: 10 + version,
    version,
    type,
    schema_version: 1,
    recorded_at: `2026-11-30T12:0${version}:00Z`,
    user_id: OWNER,
    correlation_id: correlation,
    causation_id: `cause-${version}`,
    command,
    data: { reference: "salary" },
    state: state(version, balance),
  };
}

const history = {
  stream_id: ACCOUNT,
  stream_type: "Account",
  version: 2,
  redacted: [],
  state: state(2, 123456),
  events: [event(1, "AccountOpened", "OpenAccount", "open-1", 0), event(2, "AccountCredited", "DepositFunds", "salary-run", 123456)],
};

function renderAudit(chain: Handler, stateAt: Handler = () => json({})) {
  return renderConsole(
    `/staff/audit/${ACCOUNT}`,
    {
      [`GET /v1/audit/streams/${ACCOUNT}`]: () => json(history),
      [`GET /v1/audit/streams/${ACCOUNT}/chain`]: chain,
      [`GET /v1/audit/streams/${ACCOUNT}/state`]: stateAt,
    },
    signedInSession(AUDITOR, ["auditor"]),
  );
}

const intact = () =>
  json({ stream_id: ACCOUNT, ok: true, events: 2, unhashed: 0, breaks: [], checked_at: "2026-11-30T12:10:00Z" });

describe("AuditRoute", () => {
  it("lists the events with who, which command and the correlation id, and the chain intact", async () => {
    renderAudit(intact);
    expect(await screen.findByRole("heading", { name: "Audit trail: Account" })).toBeInTheDocument();
    const events = await screen.findAllByTestId("audit-event");
    expect(events.map((item) => within(item).getByRole("heading", { level: 3 }).textContent)).toEqual([
      "1. AccountOpened",
      "2. AccountCredited",
    ]);
    expect(within(events[1] as HTMLElement).getByTestId("correlation-id")).toHaveTextContent("salary-run");
    expect(within(events[1] as HTMLElement).getByText("DepositFunds")).toBeInTheDocument();
    expect(await screen.findByTestId("chain-check")).toHaveTextContent("Hash chain intact: all 2 events match");
    // Money in the state is shown as money, with the stored minor units beside it.
    expect(screen.getAllByText("€1,234.56").length).toBeGreaterThan(0);
  });

  it("names each version where the chain is broken", async () => {
    renderAudit(() =>
      json({
        stream_id: ACCOUNT,
        ok: false,
        events: 2,
        unhashed: 0,
        breaks: [{ version: 2, reasons: ["hash mismatch (this event's content or its predecessor was altered)"] }],
        checked_at: "2026-11-30T12:10:00Z",
      }),
    );
    const check = await screen.findByTestId("chain-check");
    expect(check).toHaveAttribute("role", "alert");
    expect(check).toHaveTextContent("Hash chain broken");
    expect(check).toHaveTextContent("Version 2: hash mismatch");
  });

  it("replays the state at a version, and at a time given in local time", async () => {
    const { requests } = renderAudit(intact, (request) => {
      const params = new URL(request.url).searchParams;
      return json({
        stream_id: ACCOUNT,
        stream_type: "Account",
        version: 1,
        recorded_at: "2026-11-30T12:01:00Z",
        redacted: [],
        state: params.get("version") === "1" || params.has("at") ? state(1, 0) : state(2, 123456),
      });
    });
    const user = userEvent.setup();
    const version = await screen.findByLabelText("Version");
    await user.clear(version);
    await user.type(version, "1");
    await user.click(screen.getByRole("button", { name: "Show the state" }));
    const shown = await screen.findByTestId("state-at-point");
    expect(within(shown).getByText("€0.00")).toBeInTheDocument();

    await user.click(screen.getByLabelText("a time (your time zone)"));
    // jsdom's datetime-local field takes its value whole, as a browser's picker sets it.
    fireEvent.change(screen.getByLabelText("Time"), { target: { value: "2026-11-30T12:01:30" } });
    await user.click(screen.getByRole("button", { name: "Show the state" }));
    await screen.findByRole("heading", { level: 3, name: /^State at \d/ });
    const asked = requests.filter((r) => new URL(r.url).pathname.endsWith("/state"));
    expect(new URL(asked[0]?.url ?? "").searchParams.get("version")).toBe("1");
    expect(new URL(asked[1]?.url ?? "").searchParams.get("at")).toBe(
      new Date(2026, 10, 30, 12, 1, 30).toISOString(),
    );
  });

  it("refuses a version past the stream's end without asking", async () => {
    const { requests } = renderAudit(intact);
    const user = userEvent.setup();
    const version = await screen.findByLabelText("Version");
    await user.clear(version);
    await user.type(version, "9");
    await user.click(screen.getByRole("button", { name: "Show the state" }));
    expect(await screen.findByText("Give a version from 1 to 2.")).toBeInTheDocument();
    expect(requests.some((r) => new URL(r.url).pathname.endsWith("/state"))).toBe(false);
  });

  it("shows the API's 404 for a stream this auditor may not see or that does not exist", async () => {
    renderConsole(
      `/staff/audit/${ACCOUNT}`,
      {
        [`GET /v1/audit/streams/${ACCOUNT}`]: () => problem(404, "not-found", `stream ${ACCOUNT} not found`),
        [`GET /v1/audit/streams/${ACCOUNT}/chain`]: () => problem(404, "not-found", `stream ${ACCOUNT} not found`),
      },
      signedInSession(AUDITOR, ["auditor"]),
    );
    expect(await screen.findAllByText(`stream ${ACCOUNT} not found`)).toHaveLength(2);
  });
});
