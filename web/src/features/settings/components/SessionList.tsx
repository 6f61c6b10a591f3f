// The user's active sessions: when and where each began, when it was last used, how it logged
// in; each can be ended, this one included.
import { DateTime } from "../../../components/DateTime";
import type { UserSession } from "../api/use-sessions";

const METHODS: Readonly<Record<string, string>> = {
  pwd: "password",
  otp: "authenticator code",
  recovery: "recovery code",
};

function methods(amr: readonly string[]): string {
  return amr.map((method) => METHODS[method] ?? method).join(" and ");
}

const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/Edg\//, "Edge"],
  [/Firefox\//, "Firefox"],
  [/Chrome\//, "Chrome"],
  [/Safari\//, "Safari"],
];
const SYSTEMS: readonly (readonly [string, string])[] = [
  ["Android", "Android"],
  ["iPhone", "iPhone"],
  ["iPad", "iPad"],
  ["Windows", "Windows"],
  ["Mac OS X", "macOS"],
  ["Linux", "Linux"],
];

/** A short name for a browser's user agent: "Firefox on Linux", else the text itself. */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return "Unknown browser";
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (browser === undefined) return userAgent.slice(0, 80);
  const system = SYSTEMS.find(([marker]) => userAgent.includes(marker))?.[1];
  return system ? `${browser} on ${system}` : browser;
}

export function SessionList({
  sessions,
  revoking,
  onRevoke,
}: {
  sessions: readonly UserSession[];
  revoking: string | null;
  onRevoke: (session: UserSession) => void;
}) {
  return (
    <ul className="card-list">
      {sessions.map((session) => {
        const name = browserName(session.user_agent);
        return (
          <li key={session.id} className="card">
            <h3 className="card-title">
              {name}
              {session.current ? <span className="badge">This browser</span> : null}
            </h3>
            <dl className="pairs">
              <dt>Logged in</dt>
              <dd>
                <DateTime value={session.created_at} /> with {methods(session.amr)}
              </dd>
              <dt>Last active</dt>
              <dd>
                <DateTime value={session.last_used_at} />
              </dd>
              <dt>From</dt>
              <dd>{session.address ?? "unknown address"}</dd>
            </dl>
            <button
              type="button"
              className="secondary"
              disabled={revoking !== null}
              aria-label={
                session.current
                  ? "Log out this browser"
                  : `Log out ${name}, logged in ${new Date(session.created_at).toLocaleString()}`
              }
              onClick={() => {
                onRevoke(session);
              }}
            >
              {revoking === session.id ? "Logging out…" : "Log out"}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
