// The banner shown on every page while the API is not answering (instead of a blank page).
import { useApiReachable } from "../lib/api/api-context";

export function ApiUnreachableBanner() {
  const reachable = useApiReachable();
  if (reachable) return null;
  return (
    <div role="alert" className="banner">
      Ledgerline cannot be reached right now. What you see may be out of date; we will keep trying.
    </div>
  );
}
