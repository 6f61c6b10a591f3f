// Hands the Api (clients, session, connectivity, stream versions) to the component tree.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";

import type { Api } from "./clients";

const ApiContext = createContext<Api | null>(null);

export function ApiProvider({ api, children }: { api: Api; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === null) throw new Error("useApi outside ApiProvider");
  return api;
}

/** The signed-in user's id, or null; re-renders when the session begins or ends. */
export function useUserId(): string | null {
  const { session } = useApi();
  return useSyncExternalStore(session.subscribe, session.userId);
}

/** The roles the signed-in user's access token carries (none when signed out); re-renders when
 * they change. */
export function useRoles(): readonly string[] {
  const { session } = useApi();
  return useSyncExternalStore(session.subscribe, session.roles);
}

/** Whether the API has been answering; re-renders when that changes. */
export function useApiReachable(): boolean {
  const { connectivity } = useApi();
  return useSyncExternalStore(connectivity.subscribe, connectivity.isReachable);
}
