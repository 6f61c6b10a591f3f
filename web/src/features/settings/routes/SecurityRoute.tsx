// /settings/security: change the password; two-step login (set up, recovery codes, turn off).
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { useUser } from "../api/use-user";
import { ChangePasswordForm } from "../components/ChangePasswordForm";
import { SecondFactor } from "../components/SecondFactor";

export function SecurityRoute() {
  const userId = useSignedInUserId();
  const user = useUser(userId);
  return (
    <section className="narrow">
      <PageHeading>Password and two-step login</PageHeading>
      <ChangePasswordForm userId={userId} />
      <section aria-labelledby="mfa-heading">
        <h2 id="mfa-heading">Two-step login</h2>
        {user.isPending ? <p>Loading…</p> : null}
        <ProblemAlert error={user.error} />
        {user.data ? <SecondFactor user={user.data} /> : null}
      </section>
    </section>
  );
}
