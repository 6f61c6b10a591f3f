// Whether the stream's hash chain holds: every stored event's hash recomputed from its content
// and its predecessor's hash. A break names the version and why.
import { DateTime } from "../../../components/DateTime";
import type { ChainCheck } from "../api/use-audit";

export function ChainCheckResult({ check }: { check: ChainCheck }) {
  const unhashed =
    check.unhashed > 0 ? ` ${check.unhashed} older events predate the chain and were not checked.` : "";
  return (
    <div
      data-testid="chain-check"
      className={check.ok ? "alert alert-success" : "alert alert-error"}
      role={check.ok ? undefined : "alert"}
    >
      {check.ok ? (
        <p className="flush">
          <strong>Hash chain intact:</strong> all {check.events} events match their hashes.
          {unhashed}
        </p>
      ) : (
        <>
          <p className="flush">
            <strong>Hash chain broken:</strong> stored events were altered or removed.
          </p>
          <ul>
            {check.breaks.map((broken) => (
              <li key={broken.version}>
                Version {broken.version}: {broken.reasons.join("; ")}
              </li>
            ))}
          </ul>
        </>
      )}
      <p className="field-hint flush">
        Checked <DateTime value={check.checked_at} />.
      </p>
    </div>
  );
}
