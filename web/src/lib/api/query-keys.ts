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
  /** An account's statement lines, as of the account version shown beside them (a new version
   * starts the statement afresh from its newest line). */
  accountEntries: (accountId: string, accountVersion?: number) =>
    accountVersion === undefined
      ? (["account-entries", accountId] as const)
      : (["account-entries", accountId, accountVersion] as const),
  payment: (paymentId: string) => ["payments", paymentId] as const,
  /** Payment searches; with filters, one search. */
  paymentSearch: (filters?: object) =>
    filters === undefined ? (["payment-search"] as const) : (["payment-search", filters] as const),
  notifications: (userId: string) => ["users", userId, "notifications"] as const,
  webhookEndpoints: () => ["webhooks"] as const,
  webhookEndpoint: (endpointId: string) => ["webhooks", endpointId] as const,
  webhookDeliveries: (endpointId: string) => ["webhooks", endpointId, "deliveries"] as const,
  webhookEventTypes: () => ["webhook-event-types"] as const,
};
