// /settings/sessions: where the user is logged in; log out one session, or everywhere.
import { useEffect, useRef } from "react";
import { useNavigate } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import {
  useForgetSession,
  useRevokeAllSessions,
  useRevokeSession,
  useSessions,
} from "../api/use-sessions";
import { SessionList } from "../components/SessionList";

const LOGGED_OUT = { loggedOut: true };

export function SessionsRoute() {
  const userId = useSignedInUserId();
  const sessions = useSessions(userId);
  const revoke = useRevokeSession(userId);
  const revokeAll = useRevokeAllSessions(userId);
  const navigate = useNavigate();
  const forget = useForgetSession();
  // To the login page first, and forget the session as this page goes: forgetting it first
  // would have RequireSignIn send the page there without saying why.
  const forgetOnLeaving = useRef(false);
  useEffect(
    () => () => {
      if (forgetOnLeaving.current) forget();
    },
    [forget],
  );
  const loggedOutHere = () => {
    forgetOnLeaving.current = true;
    void navigate("/login", { replace: true, state: LOGGED_OUT });
  };
  return (
    <section>
      <PageHeading>Sessions</PageHeading>
      <p>Where you are logged in now. Log out any session you do not recognise.</p>
      {sessions.isPending ? <p>Loading your sessions…</p> : null}
      <ProblemAlert error={sessions.error ?? revoke.error ?? revokeAll.error} />
      {sessions.data ? (
        <SessionList
          sessions={sessions.data}
          revoking={revoke.isPending ? revoke.variables.id : null}
          onRevoke={(session) => {
            revoke.mutate(session, {
              onSuccess: () => {
                if (session.current) loggedOutHere();
              },
            });
          }}
        />
      ) : null}
      <h2>Everywhere</h2>
      <p>Ends every session, this one too: you will need to log in again.</p>
      <button
        type="button"
        className="danger"
        disabled={revokeAll.isPending}
        onClick={() => {
          revokeAll.mutate(undefined, { onSuccess: loggedOutHere });
        }}
      >
        {revokeAll.isPending ? "Logging out…" : "Log out everywhere"}
      </button>
    </section>
  );
}
