// "Move money" on an account's page: one of deposit, withdraw and transfer at a time, chosen
// with radio buttons (keyboard: arrow keys), so the page stays short on a phone.
import { useId, useState } from "react";

import { DepositForm } from "./DepositForm";
import { TransferForm } from "./TransferForm";
import { WithdrawForm } from "./WithdrawForm";

const CHOICES = [
  ["deposit", "Deposit"],
  ["withdraw", "Withdraw"],
  ["transfer", "Transfer"],
] as const;

type Choice = (typeof CHOICES)[number][0];

export function MoveMoney(props: { accountId: string; ownerId: string; currency: string }) {
  const [choice, setChoice] = useState<Choice>("deposit");
  const name = useId();
  return (
    <section className="move-money" aria-labelledby={`${name}-heading`}>
      <fieldset className="choice">
        <legend id={`${name}-heading`}>Move money</legend>
        {CHOICES.map(([value, label]) => (
          <label key={value}>
            <input
              type="radio"
              name={name}
              value={value}
              checked={choice === value}
              onChange={() => {
                setChoice(value);
              }}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {choice === "deposit" ? <DepositForm {...props} /> : null}
      {choice === "withdraw" ? <WithdrawForm {...props} /> : null}
      {choice === "transfer" ? <TransferForm {...props} /> : null}
    </section>
  );
}
