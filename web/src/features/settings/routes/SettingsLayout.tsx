// /settings/*: the user's own settings, one page each, with a menu between them.
import { NavLink, Outlet } from "react-router";

export function SettingsLayout() {
  return (
    <div className="with-subnav">
      <nav aria-label="Settings" className="subnav">
        <NavLink to="/settings/profile">Profile</NavLink>
        <NavLink to="/settings/security">Password and two-step login</NavLink>
        <NavLink to="/settings/sessions">Sessions</NavLink>
        <NavLink to="/settings/notifications">E-mails</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
