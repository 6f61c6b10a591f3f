// One consumer of the event log: the relay (event store → Kafka) or a projector (Kafka → a read
// model): how far behind it is, how old the oldest event it has not processed is, its
// consumer-group lag per partition and its dead letters.
import { formatSeconds } from "../../../lib/time/time";
import type { ConsumerStatus } from "../api/use-projections-status";

const count = (value: number) => value.toLocaleString();

export function ConsumerCard({ consumer }: { consumer: ConsumerStatus }) {
  const behind = consumer.behind;
  const age = consumer.oldest_unprocessed_age_s;
  return (
    <li className="card" data-testid={`consumer-${consumer.name}`}>
      <h3 className="card-title">
        {consumer.kind === "relay" ? "Relay" : `Projector ${consumer.name}`}
        <span className={behind === 0 ? "badge badge-ok" : "badge badge-warn"}>
          {behind === 0 ? "caught up" : `${count(behind)} behind`}
        </span>
      </h3>
      <dl className="pairs">
        <dt>{consumer.kind === "relay" ? "Checkpoint (position)" : "Records consumed"}</dt>
        <dd>{consumer.position === null ? "none yet" : count(consumer.position)}</dd>
        <dt>{consumer.kind === "relay" ? "Backlog (events not published)" : "Events behind"}</dt>
        <dd data-testid="behind">{count(behind)}</dd>
        <dt>Oldest unprocessed event</dt>
        <dd>{age === null ? "none" : `${formatSeconds(age)} old`}</dd>
        {consumer.group_id ? (
          <>
            <dt>Consumer group</dt>
            <dd className="id">{consumer.group_id}</dd>
          </>
        ) : null}
        {consumer.kind === "projector" ? (
          <>
            <dt>Dead letters</dt>
            <dd data-testid="dead-letters">
              {consumer.dead_letters === null || consumer.dead_letters === undefined
                ? "not counted"
                : count(consumer.dead_letters)}
            </dd>
          </>
        ) : null}
      </dl>
      {consumer.partitions && consumer.partitions.length > 0 ? (
        <table className="lag-table">
          <caption>Lag per partition</caption>
          <thead>
            <tr>
              <th scope="col">Partition</th>
              <th scope="col">Committed</th>
              <th scope="col">End</th>
              <th scope="col">Lag</th>
            </tr>
          </thead>
          <tbody>
            {consumer.partitions.map((partition) => (
              <tr key={partition.partition}>
                <th scope="row">{partition.partition}</th>
                <td>{partition.committed === null ? "—" : count(partition.committed)}</td>
                <td>{count(partition.end)}</td>
                <td>{count(partition.lag)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </li>
  );
}
