// Test fixtures: read-model documents as the query API returns them.
export function accountDoc(
  id: string,
  ownerId: string,
  balance: number,
  version: number,
  overrides: Record<string, unknown> = {},
) {
  return {
    id,
    owner_id: ownerId,
    currency: "EUR",
    balance,
    available: balance,
    held: 0,
    holds: {},
    status: "open",
    version,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
    ...overrides,
  };
}

export function entryDoc(
  accountId: string,
  version: number,
  kind: "credit" | "debit",
  amount: number,
  balanceAfter: number,
  reference: string,
) {
  return {
    id: `00000000-0000-4000-8000-${String(version).padStart(12, "0")}`,
    account_id: accountId,
    version,
    kind,
    amount,
    currency: "EUR",
    reference,
    balance_after: balanceAfter,
    recorded_at: "2026-11-30T12:00:00Z",
  };
}

export function paymentDoc(
  id: string,
  payer: string,
  payee: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    id,
    payer_account_id: payer,
    payee_account_id: payee,
    amount: 5000,
    currency: "EUR",
    captured: 0,
    refunded: 0,
    status: "authorized",
    description: "Order 1234",
    merchant: "Corner Shop",
    version: 1,
    created_at: "2026-11-30T12:00:00Z",
    updated_at: "2026-11-30T12:00:00Z",
    ...overrides,
  };
}
