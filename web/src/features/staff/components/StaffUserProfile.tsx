// A user's profile as auditors and admins see it.
import { DateTime } from "../../../components/DateTime";
import type { User } from "../api/use-user-lookup";

const yesNo = (value: boolean | undefined) => (value ? "yes" : "no");

export function StaffUserProfile({ user }: { user: User }) {
  return (
    <dl className="pairs">
      <dt>Name</dt>
      <dd>{user.full_name ?? "(forgotten)"}</dd>
      <dt>E-mail address</dt>
      <dd>
        {user.email ?? "(forgotten)"} {user.email_verified ? "(confirmed)" : "(not confirmed)"}
      </dd>
      <dt>Status</dt>
      <dd>{user.status}</dd>
      <dt>Roles</dt>
      <dd>{user.roles.join(", ") || "none"}</dd>
      <dt>Two-step login</dt>
      <dd>{yesNo(user.mfa_enabled)}</dd>
      <dt>Signed up</dt>
      <dd>
        <DateTime value={user.created_at} />
      </dd>
      <dt>Version</dt>
      <dd>{user.version}</dd>
    </dl>
  );
}
