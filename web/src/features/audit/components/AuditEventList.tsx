// A stream's events, oldest first: version and type, when, who issued the command, which
// command, the correlation and causation ids, and (folded) the data and the state after it.
import { DateTime } from "../../../components/DateTime";
import type { AuditEvent } from "../api/use-audit";
import { StateView } from "./StateView";

export function AuditEventList({ events }: { events: readonly AuditEvent[] }) {
  return (
    <ol className="card-list audit-events" aria-label="Events, oldest first">
      {events.map((event) => (
        <li key={event.event_id} className="card" data-testid="audit-event">
          <h3 className="card-title">
            {event.version}. {event.type}
          </h3>
          <dl className="pairs">
            <dt>When</dt>
            <dd>
              <DateTime value={event.recorded_at} />
            </dd>
            <dt>Who</dt>
            <dd className="id">{event.user_id ?? "the system"}</dd>
            <dt>Command</dt>
            <dd>{event.command ?? "—"}</dd>
            <dt>Correlation id</dt>
            <dd className="id" data-testid="correlation-id">
              {event.correlation_id ?? "—"}
            </dd>
            <dt>Causation id</dt>
            <dd className="id">{event.causation_id ?? "—"}</dd>
          </dl>
          <details>
            <summary>Data and the state after it</summary>
            <h4>Data</h4>
            <StateView state={event.data} />
            <h4>State after version {event.version}</h4>
            <StateView state={event.state} />
          </details>
        </li>
      ))}
    </ol>
  );
}
