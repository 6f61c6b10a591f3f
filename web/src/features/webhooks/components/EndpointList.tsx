// The user's webhook endpoints, each linking to its page (settings and delivery log).
import { Link } from "react-router";

import type { Endpoint } from "../api/use-webhook-endpoints";

/** The event types an endpoint receives, in words ("*" is every type). */
export function eventTypesText(types: readonly string[]): string {
  return types.includes("*") ? "All events" : types.join(", ");
}

export function EndpointList({ endpoints }: { endpoints: readonly Endpoint[] }) {
  if (endpoints.length === 0) return <p>You have no webhook endpoints yet.</p>;
  return (
    <ul className="item-list" aria-label="Endpoints">
      {endpoints.map((endpoint) => (
        <li key={endpoint.id}>
          <div className="item-head">
            <Link to={`/webhooks/${endpoint.id}`}>{endpoint.url}</Link>
            <span className="status-badge">{endpoint.enabled ? "Enabled" : "Disabled"}</span>
          </div>
          {endpoint.description ? <div>{endpoint.description}</div> : null}
          <div className="item-meta">{eventTypesText(endpoint.event_types)}</div>
        </li>
      ))}
    </ul>
  );
}
