// An account's statement: its lines newest first (what, when, how much in or out, the balance
// after), a page at a time with "Load more".
import { Link } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { LoadMore } from "../../../components/LoadMore";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { formatMinorUnits } from "../../../lib/money/money";
import { useAccountEntries, type Entry } from "../api/use-account-entries";

// The references the API gives the lines of a capture and a refund (domain/services.py).
const PAYMENT_REFERENCE = /^(payment|refund):([0-9a-f-]{36})$/;

/** What the line is for: its reference, with a payment's or refund's as a link to it. */
function What({ entry }: { entry: Entry }) {
  if (entry.reference == null) return entry.kind === "credit" ? "Money in" : "Money out";
  const payment = PAYMENT_REFERENCE.exec(entry.reference);
  if (payment === null) return entry.reference;
  const [, kind, id = ""] = payment;
  const text = kind === "refund" ? "Refund of a payment" : "Payment";
  return <Link to={`/payments/${id}`}>{text}</Link>;
}

function StatementLine({ entry }: { entry: Entry }) {
  const signed = entry.kind === "credit" ? BigInt(entry.amount) : -BigInt(entry.amount);
  const shown = formatMinorUnits(signed, entry.currency);
  return (
    <li className="statement-line">
      <span className="statement-what">
        <What entry={entry} />
      </span>
      <span className={`statement-amount money ${entry.kind}`}>
        <span className="visually-hidden">{entry.kind === "credit" ? "In: " : "Out: "}</span>
        {entry.kind === "credit" ? `+${shown}` : shown}
      </span>
      <span className="statement-when">
        <DateTime value={entry.recorded_at} />
      </span>
      <span className="statement-balance">
        Balance {formatMinorUnits(entry.balance_after, entry.currency)}
      </span>
    </li>
  );
}

export function Statement({
  accountId,
  accountVersion,
}: {
  accountId: string;
  accountVersion: number;
}) {
  const entries = useAccountEntries(accountId, accountVersion);
  const lines = entries.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="statement-heading">
      <h2 id="statement-heading">Statement</h2>
      {entries.isPending ? <p>Loading the statement…</p> : null}
      <ProblemAlert error={entries.error} />
      {entries.data && lines.length === 0 ? <p>No money has moved in or out yet.</p> : null}
      {lines.length > 0 ? (
        <ol className="statement" aria-labelledby="statement-heading">
          {lines.map((entry) => (
            <StatementLine key={entry.id} entry={entry} />
          ))}
        </ol>
      ) : null}
      {entries.data ? (
        <LoadMore
          shown={lines.length}
          noun={["line", "lines"]}
          hasMore={entries.hasNextPage}
          loading={entries.isFetchingNextPage}
          onLoadMore={() => void entries.fetchNextPage()}
        />
      ) : null}
    </section>
  );
}
