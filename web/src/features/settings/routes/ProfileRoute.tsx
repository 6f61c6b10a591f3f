// /settings/profile: name and e-mail address.
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { useUser } from "../api/use-user";
import { ProfileForm } from "../components/ProfileForm";

export function ProfileRoute() {
  const user = useUser(useSignedInUserId());
  return (
    <section className="narrow">
      <PageHeading>Profile</PageHeading>
      {user.isPending ? <p>Loading your profile…</p> : null}
      <ProblemAlert error={user.error} />
      {user.data ? (
        <>
          <p data-testid="email-status">
            {user.data.email_verified
              ? "Your e-mail address is confirmed."
              : "Your e-mail address is not confirmed yet."}
          </p>
          <ProfileForm user={user.data} />
        </>
      ) : null}
    </section>
  );
}
