// /payments: the user's payments (as payer or payee) with search, filters and facets; the
// filters live in the URL query (?q=&status=&currency=&min_amount=&max_amount=).
import { useMemo } from "react";
import { Link, useSearchParams } from "react-router";

import { LoadMore } from "../../../components/LoadMore";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useUserAccounts } from "../../../lib/accounts/use-user-accounts";
import { useSignedInUserId } from "../../../lib/auth/use-signed-in-user-id";
import { usePaymentSearch } from "../api/use-payment-search";
import { PaymentFacets } from "../components/PaymentFacets";
import { PaymentList } from "../components/PaymentList";
import { PaymentSearchForm } from "../components/PaymentSearchForm";
import { filtersFromParams, hasFilters, paramsFromFilters } from "../search-filters";

function resultHeading(total: number, filtered: boolean): string {
  if (total === 0) return filtered ? "No payments match" : "No payments yet";
  return `${total} ${total === 1 ? "payment" : "payments"}${filtered ? " found" : ""}`;
}

export function PaymentsRoute() {
  const userId = useSignedInUserId();
  const [params, setParams] = useSearchParams();
  const query = params.toString();
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(query)), [query]);
  const search = usePaymentSearch(filters);
  const accounts = useUserAccounts(userId);
  const ownAccountIds = useMemo(
    () => new Set((accounts.data ?? []).map((account) => account.id)),
    [accounts.data],
  );
  const first = search.data?.pages[0];
  const payments = search.data?.pages.flatMap((page) => page.items) ?? [];
  const total = first?.total ?? 0;

  return (
    <section>
      <PageHeading>Payments</PageHeading>
      <div className="actions">
        <Link to="/payments/new">Pay a merchant</Link>
        {/* The search index trails the commands by a second or so. */}
        <button
          type="button"
          className="secondary"
          aria-disabled={search.isFetching}
          onClick={() => {
            if (!search.isFetching) void search.refetch();
          }}
        >
          {search.isFetching && !search.isFetchingNextPage
            ? "Checking…"
            : "Check for new payments"}
        </button>
      </div>
      <PaymentSearchForm
        filters={filters}
        onSearch={(chosen) => {
          setParams(paramsFromFilters(chosen));
        }}
      />
      <ProblemAlert error={search.error} />
      {search.isPending ? <p>Searching…</p> : null}
      {first ? (
        <>
          <h2 aria-live="polite">{resultHeading(total, hasFilters(filters))}</h2>
          <PaymentFacets facets={first.facets} filters={filters} />
          {payments.length > 0 ? (
            <PaymentList payments={payments} ownAccountIds={ownAccountIds} />
          ) : null}
          <LoadMore
            shown={payments.length}
            noun={["payment", "payments"]}
            hasMore={search.hasNextPage}
            loading={search.isFetchingNextPage}
            onLoadMore={() => void search.fetchNextPage()}
          />
        </>
      ) : null}
    </section>
  );
}
