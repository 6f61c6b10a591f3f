// Deposits into an account (MovementForm with the deposit endpoint).
import { useDeposit } from "../api/use-deposit";
import { MovementForm } from "./MovementForm";

const WORDS = {
  action: "Deposit",
  busy: "Depositing…",
  done: "Deposited",
  referenceHint: "What the money is for, e.g. salary.",
};

export function DepositForm({
  accountId,
  ownerId,
  currency,
}: {
  accountId: string;
  ownerId: string;
  currency: string;
}) {
  const deposit = useDeposit(accountId, ownerId);
  return (
    <MovementForm
      currency={currency}
      words={WORDS}
      send={(body, idempotencyKey) => deposit.mutateAsync({ body, idempotencyKey })}
    />
  );
}
