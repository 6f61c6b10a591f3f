// /staff/projections: the relay's backlog and each projector's lag, refreshed every few
// seconds, with the time of the figures shown; updates can be paused (nothing on the page then
// moves by itself).
import { useState } from "react";
import { Link } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { REFRESH_MS, useProjectionsStatus } from "../api/use-projections-status";
import { ConsumerCard } from "../components/ConsumerCard";

export function ProjectionsRoute() {
  const [live, setLive] = useState(true);
  const status = useProjectionsStatus(live);
  const data = status.data;
  return (
    <section>
      <p>
        <Link to="/staff">← Staff</Link>
      </p>
      <PageHeading>Projections status</PageHeading>
      <div className="button-row">
        <p className="flush" data-testid="updated-at">
          {data ? (
            <>
              Updated at <DateTime value={data.checked_at} />
              {live ? `; refreshing every ${REFRESH_MS / 1000} s.` : "; updates paused."}
            </>
          ) : (
            "Loading…"
          )}
        </p>
        <button
          type="button"
          className="secondary"
          aria-pressed={!live}
          onClick={() => {
            setLive(!live);
          }}
        >
          {live ? "Pause updates" : "Resume updates"}
        </button>
      </div>
      {status.error ? (
        <>
          <ProblemAlert error={status.error} />
          {data ? <p>The figures below are from the last successful check.</p> : null}
        </>
      ) : null}
      {data ? (
        <>
          <dl className="pairs">
            <dt>Newest event</dt>
            <dd>
              {data.head_position === null ? (
                "the event store is empty"
              ) : (
                <>
                  position {data.head_position.toLocaleString()}
                  {data.head_recorded_at ? (
                    <>
                      , recorded <DateTime value={data.head_recorded_at} />
                    </>
                  ) : null}
                </>
              )}
            </dd>
            <dt>Dead letters</dt>
            <dd data-testid="dead-letters-total">
              {data.dead_letters.toLocaleString()} on <span className="id">{data.dead_letter_topic}</span>
            </dd>
          </dl>
          {data.pending_rebuilds.map((rebuild) => (
            <p key={rebuild} role="alert" className="alert alert-error">
              Rebuild {rebuild} stopped after its swap: run <code>ledgerline projections rebuild</code>{" "}
              again to finish it.
            </p>
          ))}
          <ul className="card-list">
            {data.consumers.map((consumer) => (
              <ConsumerCard key={consumer.name} consumer={consumer} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
