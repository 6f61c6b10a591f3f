// An account's payments, newest first (the payment search narrowed to the account): merchant,
// amount, status, and whether the account paid or was paid. The search index trails the
// commands by about a second, so a payment made a moment ago may show on the next look.
import { useMemo } from "react";

import { LoadMore } from "../../../components/LoadMore";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { usePaymentSearch } from "../../payments/api/use-payment-search";
import { PaymentList } from "../../payments/components/PaymentList";

export function AccountPayments({ accountId }: { accountId: string }) {
  const search = usePaymentSearch({ account_id: accountId });
  const payments = useMemo(() => search.data?.pages.flatMap((page) => page.items) ?? [], [search.data]);
  const thisAccount = useMemo(() => new Set([accountId]), [accountId]);
  return (
    <section aria-labelledby="account-payments">
      <h2 id="account-payments">Payments</h2>
      <ProblemAlert error={search.error} />
      {search.isPending ? <p>Loading the payments…</p> : null}
      {search.data && payments.length === 0 ? <p>No payments from or to this account yet.</p> : null}
      {payments.length > 0 ? <PaymentList payments={payments} ownAccountIds={thisAccount} /> : null}
      {search.data ? (
        <LoadMore
          shown={payments.length}
          noun={["payment", "payments"]}
          hasMore={search.hasNextPage}
          loading={search.isFetchingNextPage}
          onLoadMore={() => void search.fetchNextPage()}
        />
      ) : null}
    </section>
  );
}
