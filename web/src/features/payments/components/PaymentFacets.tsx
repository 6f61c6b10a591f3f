// The search result's facet counts (by status, by currency) as links: following one narrows the
// search to it, following the chosen one again lets it go. Links, so they are keyboard
// reachable, shareable and Back undoes them.
import { Link } from "react-router";

import type { PaymentStatus } from "../api/use-payment";
import {
  STATUS_LABELS,
  paramsFromFilters,
  toggled,
  type PaymentFilters,
} from "../search-filters";

function FacetGroup({
  title,
  facet,
  counts,
  filters,
  label,
}: {
  title: string;
  facet: "status" | "currency";
  counts: Record<string, number>;
  filters: PaymentFilters;
  label: (value: string) => string;
}) {
  const values = Object.entries(counts).filter(([, count]) => count > 0);
  if (values.length === 0) return null;
  const id = `facet-${facet}`;
  return (
    <div>
      <h3 id={id}>{title}</h3>
      <ul aria-labelledby={id}>
        {values.map(([value, count]) => {
          const chosen = filters[facet] === value;
          return (
            <li key={value}>
              <Link
                to={`/payments?${paramsFromFilters(toggled(filters, facet, value)).toString()}`}
                aria-current={chosen ? "true" : undefined}
              >
                {label(value)} ({count})
                {chosen ? (
                  <span className="visually-hidden"> (chosen: follow to let go)</span>
                ) : null}
              </Link>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function PaymentFacets({
  facets,
  filters,
}: {
  facets: { status: Record<string, number>; currency: Record<string, number> };
  filters: PaymentFilters;
}) {
  return (
    <nav className="facets" aria-label="Narrow the search">
      <FacetGroup
        title="By status"
        facet="status"
        counts={facets.status}
        filters={filters}
        label={(value) => STATUS_LABELS[value as PaymentStatus]}
      />
      <FacetGroup
        title="By currency"
        facet="currency"
        counts={facets.currency}
        filters={filters}
        label={(value) => value}
      />
    </nav>
  );
}
