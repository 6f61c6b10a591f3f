// Every TanStack Query key of the console, in one place, so invalidations match the queries.
export const queryKeys = {
  userAccounts: (userId: string) => ["users", userId, "accounts"] as const,
  account: (accountId: string) => ["accounts", accountId] as const,
  user: (userId: string) => ["users", userId, "profile"] as const,
  notificationPreferences: (userId: string) => ["users", userId, "notification-preferences"] as const,
  sessions: (userId: string) => ["users", userId, "sessions"] as const,
  userSearch: (query: string) => ["search", "users", query] as const,
  auditStream: (streamId: string) => ["audit", streamId, "history"] as const,
  auditState: (streamId: string, point: string) => ["audit", streamId, "state", point] as const,
  auditChain: (streamId: string) => ["audit", streamId, "chain"] as const,
  projections: () => ["projections"] as const,
};
