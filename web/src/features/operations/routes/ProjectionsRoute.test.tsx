import { act, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";

import { json, problem, renderConsole, signedInSession } from "../../../test/render";

const OPERATOR = "0b8e5a9c-1d2f-4e3a-8b7c-6d5e4f3a2b1c";

function status(checkedAt: string, behind: number) {
  return {
    head_position: 93,
    head_recorded_at: "2026-11-30T12:00:00Z",
    checked_at: checkedAt,
    pending_rebuilds: [],
    dead_letter_topic: "ledgerline.events.dlq",
    dead_letters: 2,
    consumers: [
      { name: "relay", kind: "relay", position: 93, behind: 0, oldest_unprocessed_age_s: null, group_id: null, topic: null, partitions: [], dead_letters: null },
      {
        name: "mongo",
        kind: "projector",
        position: 93 - behind,
        behind,
        oldest_unprocessed_age_s: behind ? 185 : null,
        group_id: "ledgerline-mongo",
        topic: "ledgerline.events",
        partitions: [
          { partition: 0, committed: 30, end: 30, lag: 0 },
          { partition: 1, committed: null, end: behind, lag: behind },
        ],
        dead_letters: 2,
      },
    ],
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ProjectionsRoute", () => {
  it("shows the relay and each projector with lag, age and dead letters, and refreshes by itself", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    renderConsole(
      "/staff/projections",
      {
        "GET /v1/projections": () =>
          ++polls === 1 ? json(status("2026-11-30T12:00:00Z", 7)) : json(status("2026-11-30T12:00:05Z", 0)),
      },
      signedInSession(OPERATOR, ["operator"]),
    );
    const mongo = await screen.findByTestId("consumer-mongo");
    expect(mongo).toHaveTextContent("7 behind");
    expect(mongo).toHaveTextContent("3 min 5 s old");
    expect(mongo).toHaveTextContent("ledgerline-mongo");
    expect(screen.getByTestId("dead-letters-total")).toHaveTextContent("2 on ledgerline.events.dlq");
    expect(screen.getByRole("table", { name: "Lag per partition" })).toBeInTheDocument();
    const updated = screen.getByTestId("updated-at");
    const before = updated.textContent;
    expect(before).toMatch(/^Updated at .*refreshing every 5 s\.$/);

    await act(async () => {
      await vi.advanceTimersByTimeAsync(5_100);
    });
    expect(await screen.findByText("caught up", { selector: "[data-testid=consumer-mongo] .badge" })).toBeInTheDocument();
    expect(updated.textContent).not.toBe(before);
    expect(polls).toBe(2);
  });

  it("stops refreshing while paused", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    renderConsole(
      "/staff/projections",
      { "GET /v1/projections": () => (polls++, json(status("2026-11-30T12:00:00Z", 0))) },
      signedInSession(OPERATOR, ["operator"]),
    );
    await screen.findByTestId("consumer-relay");
    const pause = screen.getByRole("button", { name: "Pause updates" });
    await userEvent.setup({ advanceTimers: vi.advanceTimersByTime.bind(vi) }).click(pause);
    expect(screen.getByRole("button", { name: "Resume updates" })).toHaveAttribute("aria-pressed", "true");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(12_000);
    });
    expect(polls).toBe(1);
    expect(screen.getByTestId("updated-at")).toHaveTextContent("updates paused");
  });

  it("keeps the last figures when a refresh fails, and says so", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let polls = 0;
    renderConsole(
      "/staff/projections",
      {
        "GET /v1/projections": () =>
          ++polls === 1 ? json(status("2026-11-30T12:00:00Z", 0)) : problem(503, "service-unavailable", "Kafka: no brokers"),
      },
      signedInSession(OPERATOR, ["operator"]),
    );
    await screen.findByTestId("consumer-relay");
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5_100);
    });
    expect(await screen.findByText("The figures below are from the last successful check.")).toBeInTheDocument();
    expect(screen.getByTestId("consumer-mongo")).toBeInTheDocument();
  });
});
