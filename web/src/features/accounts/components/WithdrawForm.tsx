// Withdraws from an account (MovementForm with the withdrawal endpoint); "not enough money" and
// a frozen account are said in words, and the account re-read to show what is available.
import { useWithdraw } from "../api/use-withdraw";
import { MovementForm } from "./MovementForm";

const WORDS = {
  action: "Withdraw",
  busy: "Withdrawing…",
  done: "Withdrew",
  referenceHint: "What the money is for, e.g. rent.",
};

export function WithdrawForm({
  accountId,
  ownerId,
  currency,
}: {
  accountId: string;
  ownerId: string;
  currency: string;
}) {
  const withdraw = useWithdraw(accountId, ownerId);
  return (
    <MovementForm
      currency={currency}
      words={WORDS}
      send={(body, idempotencyKey) => withdraw.mutateAsync({ body, idempotencyKey })}
    />
  );
}
