// Guards the pages that need a session: without one (never logged in, logged out, or the
// refresh token was refused) the user goes to the login page, and comes back afterwards.
import { Navigate, Outlet, useLocation } from "react-router";

import { useUserId } from "../lib/api/api-context";

export function RequireSignIn() {
  const userId = useUserId();
  const location = useLocation();
  if (userId === null) {
    return <Navigate to="/login" replace state={{ from: location.pathname }} />;
  }
  return <Outlet />;
}
