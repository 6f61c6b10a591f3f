// An aggregate's state as the audit trail replays it: each field with its value; money fields
// of a state that names its currency shown as money (the state keeps integer minor units).
import { Money } from "../../../components/Money";

const MONEY_FIELDS = new Set(["balance", "available", "held", "amount", "captured", "refunded"]);

function Value({ name, value, currency }: { name: string; value: unknown; currency: unknown }) {
  if (
    MONEY_FIELDS.has(name) &&
    typeof currency === "string" &&
    typeof value === "number" &&
    Number.isInteger(value)
  ) {
    return (
      <>
        <Money amount={value} currency={currency} /> <span className="field-hint">({value})</span>
      </>
    );
  }
  if (value !== null && typeof value === "object") {
    return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
  }
  return <>{typeof value === "string" ? value : JSON.stringify(value)}</>;
}

export function StateView({ state, testId }: { state: Record<string, unknown>; testId?: string }) {
  return (
    <dl className="pairs" data-testid={testId}>
      {Object.entries(state).map(([name, value]) => (
        <div key={name} className="pair">
          <dt>{name}</dt>
          <dd data-field={name}>
            <Value name={name} value={value} currency={state.currency} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
