import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { json, problem, renderConsole, signedInSession, type Handler } from "../../../test/render";

const USER = "5f0e9c3a-7b21-4d8e-9a64-0c2b1e7d3f58";
const ENDPOINT = "e1d2c3b4-a5f6-4789-9abc-def012345678";

function endpointDoc(overrides: Record<string, unknown> = {}) {
  return {
    id: ENDPOINT,
    owner_id: USER,
    url: "https://shop.example/hooks",
    event_types: ["*"],
    description: "",
    enabled: true,
    disabled_reason: null,
    failing_since: null,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
    ...overrides,
  };
}

function renderWebhooks(create: Handler) {
  let created = false;
  return renderConsole(
    "/webhooks",
    {
      "GET /v1/webhooks": () => json({ items: created ? [endpointDoc()] : [] }),
      "GET /v1/webhooks/event-types": () =>
        json({
          items: [
            { type: "payment.captured", example: {} },
            { type: "payment.refunded", example: {} },
          ],
        }),
      "POST /v1/webhooks": async (request) => {
        const answer = await create(request);
        created = answer.ok;
        return answer;
      },
    },
    signedInSession(USER),
  );
}

const posts = (requests: Request[]) => requests.filter((r) => r.method === "POST");

describe("the webhooks page", () => {
  it("adds an endpoint for all events and shows its signing secret once", async () => {
    const { requests } = renderWebhooks(() =>
      json({ ...endpointDoc(), secret: "whsec_c2VjcmV0LXNob3duLW9uY2U=" }, 201),
    );
    expect(await screen.findByText("You have no webhook endpoints yet.")).toBeInTheDocument();
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("URL"), "https://shop.example/hooks");
    await user.click(screen.getByRole("button", { name: "Add the endpoint" }));

    const secret = await screen.findByTestId("signing-secret");
    expect(secret).toHaveTextContent("whsec_c2VjcmV0LXNob3duLW9uY2U=");
    expect(screen.getByRole("region", { name: "Endpoint added" })).toHaveFocus();
    expect(await screen.findByRole("link", { name: "https://shop.example/hooks" })).toBeInTheDocument();
    expect(await posts(requests)[0]?.json()).toEqual({
      url: "https://shop.example/hooks",
      description: "",
      event_types: ["*"],
    });

    await user.click(screen.getByRole("button", { name: "I have saved it" }));
    expect(screen.queryByTestId("signing-secret")).not.toBeInTheDocument();
    expect(screen.queryByText(/whsec_/)).not.toBeInTheDocument();
  });

  it("retries a registration that got a 503 with the same Idempotency-Key", async () => {
    let answers = 0;
    const { requests } = renderWebhooks(() =>
      ++answers === 1
        ? problem(503, "service-unavailable", "Try again shortly.")
        : json({ ...endpointDoc(), secret: "whsec_once" }, 201),
    );
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("URL"), "https://shop.example/hooks");
    await user.click(screen.getByRole("button", { name: "Add the endpoint" }));
    expect(await screen.findByTestId("signing-secret", {}, { timeout: 5_000 })).toHaveTextContent(
      "whsec_once",
    );
    const keys = posts(requests).map((r) => r.headers.get("Idempotency-Key"));
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
  });

  it("subscribes to the event types chosen, and asks for at least one", async () => {
    const { requests } = renderWebhooks(() => json({ ...endpointDoc(), secret: "whsec_x" }, 201));
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText("URL"), "https://shop.example/hooks");
    await user.click(screen.getByLabelText("All events, including ones added later"));
    await user.click(screen.getByRole("button", { name: "Add the endpoint" }));
    expect(await screen.findByText("Choose at least one event.")).toBeInTheDocument();
    expect(posts(requests)).toHaveLength(0);

    await user.click(screen.getByLabelText("payment.refunded"));
    await user.click(screen.getByRole("button", { name: "Add the endpoint" }));
    await screen.findByTestId("signing-secret");
    expect((await posts(requests)[0]?.json()) as unknown).toMatchObject({
      event_types: ["payment.refunded"],
    });
  });

  it("shows the API's refusal of the URL on the URL field", async () => {
    renderWebhooks(() =>
      problem(422, "validation-error", "The request is invalid; see errors.", [
        { field: "url", message: "the host is a private address" },
      ]),
    );
    const user = userEvent.setup();
    const url = await screen.findByLabelText("URL");
    await user.type(url, "https://10.0.0.1/hooks");
    await user.click(screen.getByRole("button", { name: "Add the endpoint" }));
    await waitFor(() => {
      expect(url).toHaveAccessibleDescription(expect.stringContaining("the host is a private address"));
    });
    expect(screen.queryByTestId("signing-secret")).not.toBeInTheDocument();
  });
});

describe("an endpoint's page", () => {
  const delivery = {
    id: "msg_1",
    event_type: "webhook.ping",
    event_id: "evt_1",
    status: "failed",
    created_at: "2026-11-30T12:00:00Z",
    next_attempt_at: "2026-11-30T12:05:00Z",
    delivered_at: null,
    attempts: [
      { attempt: 1, started_at: "2026-11-30T12:00:01Z", status_code: 500, latency_ms: 42, error: null },
    ],
  };

  function renderEndpoint() {
    let enabled = true;
    return renderConsole(
      `/webhooks/${ENDPOINT}`,
      {
        [`GET /v1/webhooks/${ENDPOINT}`]: () => json(endpointDoc({ enabled })),
        "GET /v1/webhooks": () => json({ items: [] }),
        [`GET /v1/webhooks/${ENDPOINT}/deliveries`]: () => json({ items: [delivery], next_cursor: null }),
        [`POST /v1/webhooks/${ENDPOINT}/test`]: () => json({ delivery_id: "msg_2" }, 202),
        [`POST /v1/webhooks/${ENDPOINT}/rotate-secret`]: () =>
          json({ secret: "whsec_bmV3", previous_secret_expires_at: "2026-12-01T12:00:00Z" }),
        [`POST /v1/webhooks/${ENDPOINT}/deliveries/msg_1/retry`]: () => json({ delivery_id: "msg_1" }, 202),
        [`PATCH /v1/webhooks/${ENDPOINT}`]: async (request) => {
          enabled = ((await request.json()) as { enabled: boolean }).enabled;
          return json(endpointDoc({ enabled }));
        },
        [`DELETE /v1/webhooks/${ENDPOINT}`]: () => new Response(null, { status: 204 }),
      },
      signedInSession(USER),
    );
  }

  it("shows the delivery log with each attempt, and retries a failed delivery", async () => {
    const { requests } = renderEndpoint();
    const log = await screen.findByRole("list", { name: "Deliveries" });
    expect(within(log).getByText("webhook.ping")).toBeInTheDocument();
    expect(within(log).getByTestId("delivery-status")).toHaveTextContent("failed");
    expect(within(log).getByText(/Attempt 1, .*: HTTP 500 in 42 ms/)).toBeInTheDocument();
    await userEvent.setup().click(within(log).getByRole("button", { name: /^Retry now/ }));
    expect(await within(log).findByText("Sent again.")).toBeInTheDocument();
    expect(posts(requests).map((r) => new URL(r.url).pathname)).toEqual([
      `/v1/webhooks/${ENDPOINT}/deliveries/msg_1/retry`,
    ]);
  });

  it("sends a test event, rotates the secret (shown once) and disables the endpoint", async () => {
    const { requests } = renderEndpoint();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Send a test event" }));
    expect(await screen.findByRole("status")).toHaveTextContent("A test event (webhook.ping) is on its way");

    await user.click(screen.getByRole("button", { name: "Rotate the secret" }));
    expect(await screen.findByTestId("signing-secret")).toHaveTextContent("whsec_bmV3");
    await user.click(screen.getByRole("button", { name: "I have saved it" }));
    expect(screen.queryByTestId("signing-secret")).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Disable" }));
    expect(await screen.findByRole("status")).toHaveTextContent("The endpoint is disabled.");
    await waitFor(() => {
      expect(screen.getByTestId("endpoint-status")).toHaveTextContent("Disabled");
    });
    expect(screen.getByRole("button", { name: "Send a test event" })).toBeDisabled();
    const patch = requests.find((r) => r.method === "PATCH");
    expect(await patch?.json()).toEqual({ enabled: false });
  });

  it("deletes the endpoint after a confirmation", async () => {
    const { requests, router } = renderEndpoint();
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Delete" }));
    expect(screen.getByRole("button", { name: "Delete for good" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Keep it" }));
    expect(requests.some((r) => r.method === "DELETE")).toBe(false);

    await user.click(screen.getByRole("button", { name: "Delete" }));
    await user.click(screen.getByRole("button", { name: "Delete for good" }));
    await waitFor(() => {
      expect(router.state.location.pathname).toBe("/webhooks");
    });
    expect(requests.filter((r) => r.method === "DELETE")).toHaveLength(1);
  });
});
