// Asks for the state of the stream at a version or at a time.
import { useState } from "react";

import { localInputToInstant } from "../../../lib/time/time";
import type { StatePoint } from "../api/use-audit";

export function StateAtPointForm({
  lastVersion,
  onPoint,
}: {
  lastVersion: number;
  onPoint: (point: StatePoint) => void;
}) {
  const [by, setBy] = useState<"version" | "time">("version");
  const [version, setVersion] = useState(String(Math.max(1, lastVersion - 1)));
  const [time, setTime] = useState("");
  const [error, setError] = useState<string | null>(null);

  return (
    <form
      noValidate
      aria-labelledby="point-heading"
      onSubmit={(event) => {
        event.preventDefault();
        setError(null);
        if (by === "version") {
          const number = Number(version);
          if (!Number.isInteger(number) || number < 1 || number > lastVersion) {
            setError(`Give a version from 1 to ${lastVersion}.`);
            return;
          }
          onPoint({ version: number });
        } else {
          const at = localInputToInstant(time);
          if (at === null) {
            setError("Give a date and a time.");
            return;
          }
          onPoint({ at });
        }
      }}
    >
      <h2 id="point-heading">State at an earlier point</h2>
      <fieldset>
        <legend>Replay up to</legend>
        <div className="checkbox">
          <input
            type="radio"
            id="by-version"
            name="by"
            checked={by === "version"}
            onChange={() => {
              setBy("version");
            }}
          />
          <label htmlFor="by-version">a version</label>
        </div>
        <div className="checkbox">
          <input
            type="radio"
            id="by-time"
            name="by"
            checked={by === "time"}
            onChange={() => {
              setBy("time");
            }}
          />
          <label htmlFor="by-time">a time (your time zone)</label>
        </div>
      </fieldset>
      {by === "version" ? (
        <div className="field">
          <label htmlFor="point-version">Version</label>
          <input
            id="point-version"
            type="number"
            inputMode="numeric"
            min={1}
            max={lastVersion}
            value={version}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "point-error" : undefined}
            onChange={(event) => {
              setVersion(event.target.value);
            }}
          />
        </div>
      ) : (
        <div className="field">
          <label htmlFor="point-time">Time</label>
          <input
            id="point-time"
            type="datetime-local"
            step={1}
            value={time}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? "point-error" : undefined}
            onChange={(event) => {
              setTime(event.target.value);
            }}
          />
        </div>
      )}
      {error ? (
        <p id="point-error" className="field-error">
          {error}
        </p>
      ) : null}
      <button type="submit">Show the state</button>
    </form>
  );
}
