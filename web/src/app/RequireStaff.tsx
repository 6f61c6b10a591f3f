// Guards the staff area (/staff/*): only for tokens carrying operator, auditor or admin. This
// only decides what the console offers; the API refuses other tokens whatever the page shows.
import { NavLink, Outlet } from "react-router";

import { PageHeading } from "../components/PageHeading";
import { useRoles } from "../lib/api/api-context";
import { isStaff } from "../lib/auth/roles";

export function RequireStaff() {
  const roles = useRoles();
  if (!isStaff(roles)) {
    return (
      <section className="narrow">
        <PageHeading>Staff only</PageHeading>
        <p>
          This part of Ledgerline is for operators, auditors and admins. If you have just been
          given such a role, log out and in again: roles come with a new login, and staff roles
          only once two-step login is on.
        </p>
      </section>
    );
  }
  return (
    <div className="with-subnav">
      <nav aria-label="Staff" className="subnav">
        <NavLink to="/staff" end>
          Look up
        </NavLink>
        <NavLink to="/staff/projections">Projections</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
