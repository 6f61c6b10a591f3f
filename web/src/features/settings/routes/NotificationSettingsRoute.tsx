// /settings/notifications: which e-mails to get and their language (the page the e-mails'
// "change what we send you" link leads to).
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { useNotificationPreferences } from "../api/use-notification-preferences";
import { NotificationPreferencesForm } from "../components/NotificationPreferencesForm";

export function NotificationSettingsRoute() {
  const userId = useSignedInUserId();
  const preferences = useNotificationPreferences(userId);
  return (
    <section className="narrow">
      <PageHeading>E-mails</PageHeading>
      {preferences.isPending ? <p>Loading your e-mail settings…</p> : null}
      <ProblemAlert error={preferences.error} />
      {preferences.data ? (
        <NotificationPreferencesForm userId={userId} preferences={preferences.data} />
      ) : null}
    </section>
  );
}
