// Every TanStack Query key of the console, in one place, so invalidations match the queries.
export const queryKeys = {
  userAccounts: (userId: string) => ["users", userId, "accounts"] as const,
  account: (accountId: string) => ["accounts", accountId] as const,
};
