// /verify-email?token=…: where the link in the sign-up e-mail leads. The address is confirmed
// when the person presses the button (a mail scanner that follows links confirms nothing).
import { Link } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { ApiError } from "../../../lib/api/problem";
import { useLinkToken } from "../hooks/use-link-token";
import { useVerifyEmail } from "../api/use-verify-email";

/** A bad, expired or outdated link is a 400 naming `token`: say so in words. */
function linkProblem(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.status !== 400) return null;
  return "This link does not work any more: it has expired, or a newer one replaced it.";
}

export function VerifyEmailRoute() {
  const token = useLinkToken();
  const verify = useVerifyEmail();

  if (verify.isSuccess) {
    return (
      <section className="narrow">
        <PageHeading>E-mail address confirmed</PageHeading>
        <p role="status" className="alert alert-success">
          Thank you: your e-mail address is confirmed.
        </p>
        <p>
          <Link to="/accounts">Go to your accounts</Link>
        </p>
      </section>
    );
  }
  const badLink = linkProblem(verify.error);
  return (
    <section className="narrow">
      <PageHeading>Confirm your e-mail address</PageHeading>
      {token === "" ? (
        <p>This page needs the link from the e-mail we sent you; open that link again.</p>
      ) : (
        <>
          {badLink ? (
            <p role="alert" className="alert alert-error">
              {badLink}
            </p>
          ) : (
            <ProblemAlert error={verify.error} />
          )}
          <button
            type="button"
            disabled={verify.isPending}
            onClick={() => {
              verify.mutate(token);
            }}
          >
            {verify.isPending ? "Confirming…" : "Confirm my e-mail address"}
          </button>
        </>
      )}
    </section>
  );
}
