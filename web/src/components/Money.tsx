// An amount of integer minor units, shown in the user's locale with the currency's decimals.
import { formatMinorUnits } from "../lib/money/money";

export function Money({ amount, currency }: { amount: number | bigint; currency: string }) {
  return <span className="money">{formatMinorUnits(amount, currency)}</span>;
}
