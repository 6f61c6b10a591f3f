// /staff/audit/:streamId: a stream's audit trail: the hash-chain check, every event with who,
// when and correlation id, and the state replayed at any version or time.
import { useState } from "react";
import { Link, useParams } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useAuditState, useAuditStream, useChainCheck, type StatePoint } from "../api/use-audit";
import { AuditEventList } from "../components/AuditEventList";
import { ChainCheckResult } from "../components/ChainCheckResult";
import { StateAtPointForm } from "../components/StateAtPointForm";
import { StateView } from "../components/StateView";

function describe(point: StatePoint): string {
  return "version" in point ? `version ${point.version}` : new Date(point.at).toLocaleString();
}

export function AuditRoute() {
  const { streamId = "" } = useParams();
  const stream = useAuditStream(streamId);
  const chain = useChainCheck(streamId);
  const [point, setPoint] = useState<StatePoint | null>(null);
  const atPoint = useAuditState(streamId, point);

  return (
    <section>
      <p>
        <Link to="/staff">← Staff</Link>
      </p>
      <PageHeading>
        {stream.data ? `Audit trail: ${stream.data.stream_type}` : "Audit trail"}
      </PageHeading>
      <p className="id">{streamId}</p>
      {chain.isPending ? <p>Checking the hash chain…</p> : null}
      <ProblemAlert error={chain.error} />
      {chain.data ? <ChainCheckResult check={chain.data} /> : null}
      {stream.isPending ? <p>Replaying the stream…</p> : null}
      <ProblemAlert error={stream.error} />
      {stream.data ? (
        <>
          {stream.data.redacted.length > 0 ? (
            <p>Personal data forgotten: {stream.data.redacted.join(", ")} shown as null.</p>
          ) : null}
          <h2>Events ({stream.data.events.length})</h2>
          <AuditEventList events={stream.data.events} />
          <h2>State now (version {stream.data.version})</h2>
          <StateView state={stream.data.state} />
          <StateAtPointForm lastVersion={stream.data.version} onPoint={setPoint} />
          {point !== null ? (
            <section aria-labelledby="state-at-heading" aria-live="polite">
              <h3 id="state-at-heading">State at {describe(point)}</h3>
              {atPoint.isFetching ? <p>Replaying…</p> : null}
              <ProblemAlert error={atPoint.error} />
              {atPoint.data ? (
                <>
                  <p>
                    After version {atPoint.data.version}, recorded{" "}
                    <DateTime value={atPoint.data.recorded_at} />.
                  </p>
                  <StateView state={atPoint.data.state} testId="state-at-point" />
                </>
              ) : null}
            </section>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
