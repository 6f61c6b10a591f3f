// /login: the password step, then the second-factor step when the API asks for it; then back
// to the page that sent the user here (or the accounts).
import { useState } from "react";
import { Link, useLocation, useNavigate } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { LogInForm } from "../components/LogInForm";
import { MfaCodeForm } from "../components/MfaCodeForm";

interface LogInState {
  email?: string;
  signedUp?: boolean;
  loggedOut?: boolean;
  from?: string;
}

export function LogInRoute() {
  const navigate = useNavigate();
  const state = (useLocation().state ?? {}) as LogInState;
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const done = () => void navigate(state.from ?? "/accounts", { replace: true });

  if (mfaToken !== null) {
    return (
      <section className="narrow">
        <PageHeading>Second factor</PageHeading>
        <MfaCodeForm mfaToken={mfaToken} onSignedIn={done} />
      </section>
    );
  }
  return (
    <section className="narrow">
      <PageHeading>Log in</PageHeading>
      {state.signedUp ? (
        <p role="status" className="alert alert-success">
          Your account is ready. We have sent you a link to confirm your e-mail address; you can
          log in now.
        </p>
      ) : null}
      {state.loggedOut ? (
        <p role="status" className="alert alert-success">
          You have been logged out.
        </p>
      ) : null}
      <LogInForm
        defaultEmail={state.email ?? ""}
        onOutcome={(outcome) => {
          if (outcome.signedIn) done();
          else setMfaToken(outcome.mfaToken);
        }}
      />
      <p>
        <Link to="/forgot-password">Forgot your password?</Link>
      </p>
      <p>
        New to Ledgerline? <Link to="/signup">Sign up</Link>
      </p>
    </section>
  );
}
