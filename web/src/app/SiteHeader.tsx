// The header on every page: the name, and either the account links and "Log out" or the links
// to log in and sign up.
import { Link, NavLink, useNavigate } from "react-router";

import { useLogOut } from "../features/auth/api/use-log-out";
import { useRoles, useUserId } from "../lib/api/api-context";
import { isStaff } from "../lib/auth/roles";

export function SiteHeader() {
  const userId = useUserId();
  const staff = isStaff(useRoles());
  const logOut = useLogOut();
  const navigate = useNavigate();
  return (
    <header className="site-header">
      <Link to="/" className="brand">
        Ledgerline
      </Link>
      <nav aria-label="Main">
        {userId === null ? (
          <>
            <NavLink to="/login">Log in</NavLink>
            <NavLink to="/signup">Sign up</NavLink>
          </>
        ) : (
          <>
            <NavLink to="/accounts">Accounts</NavLink>
            <NavLink to="/payments">Payments</NavLink>
            <NavLink to="/notifications">Notifications</NavLink>
            <NavLink to="/webhooks">Webhooks</NavLink>
            <NavLink to="/settings">Settings</NavLink>
            {staff ? <NavLink to="/staff">Staff</NavLink> : null}
            <button
              type="button"
              className="link-button"
              disabled={logOut.isPending}
              onClick={() => {
                logOut.mutate(undefined, { onSettled: () => void navigate("/login") });
              }}
            >
              Log out
            </button>
          </>
        )}
      </nav>
    </header>
  );
}
