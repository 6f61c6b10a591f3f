// Pay a merchant: from one of the user's open accounts, to the merchant's account number, an
// amount (parsed exactly in the payer account's currency), the merchant's name and what it is
// for. The amount is held on the payer's account until the merchant captures or voids it. One
// Idempotency-Key per submission (kept for a retry of the same values).
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { SelectField } from "../../../components/SelectField";
import { TextField } from "../../../components/TextField";
import type { Account } from "../../../lib/accounts/use-user-accounts";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { ApiError } from "../../../lib/api/problem";
import { amountHint, amountInputMode, validateAmount } from "../../../lib/forms/amount";
import { normaliseId, validateAccountNumber } from "../../../lib/forms/ids";
import { explainRefusal } from "../../../lib/forms/refusals";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { amountForApi, formatMinorUnits, parseAmount } from "../../../lib/money/money";
import { useAuthorizePayment, type PaymentBody } from "../api/use-authorize-payment";

interface PayValues {
  payer_account_id: string;
  payee_account_id: string;
  amount: string;
  merchant: string;
  description: string;
}

const FIELDS = [
  "payer_account_id",
  "payee_account_id",
  "amount",
  "merchant",
  "description",
] as const;

function accountLabel(account: Account): string {
  const available = formatMinorUnits(account.available, account.currency);
  return `${account.currency} account ${account.id.slice(0, 8)}… (${available} available)`;
}

export function PayForm({
  accounts,
  defaultPayer,
  onPaid,
}: {
  accounts: readonly Account[];
  defaultPayer: string | undefined;
  onPaid: (paymentId: string) => void;
}) {
  const authorize = useAuthorizePayment();
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const payers = accounts.filter((account) => account.status === "open");
  const firstPayer = payers.find((account) => account.id === defaultPayer) ?? payers[0];
  const { register, handleSubmit, setError, control, formState } = useForm<PayValues>({
    defaultValues: {
      payer_account_id: firstPayer?.id ?? "",
      payee_account_id: "",
      amount: "",
      merchant: "",
      description: "",
    },
  });
  const { errors, isSubmitting } = formState;
  const payerId = useWatch({ control, name: "payer_account_id" });
  const payer = payers.find((account) => account.id === payerId);
  const currency = payer?.currency ?? "EUR";

  if (payers.length === 0) {
    return <p>You need an open account to pay from. Open one on the accounts page.</p>;
  }

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    const parsed = parseAmount(values.amount, currency);
    if (!parsed.ok) return;
    const body: PaymentBody = {
      payer_account_id: values.payer_account_id,
      payee_account_id: normaliseId(values.payee_account_id),
      amount: amountForApi(parsed.minorUnits),
      merchant: values.merchant.trim(),
      description: values.description.trim(),
    };
    try {
      const paid = await authorize.mutateAsync({ body, idempotencyKey: keys.keyFor(body) });
      keys.succeeded();
      onPaid(paid.id);
    } catch (error) {
      const unknownPayee =
        error instanceof ApiError &&
        error.status === 404 &&
        error.detail.includes(body.payee_account_id);
      if (unknownPayee) {
        setError(
          "payee_account_id",
          { type: "server", message: "There is no account with this number." },
          { shouldFocus: true },
        );
        return;
      }
      setProblem(explainRefusal(showServerErrors(error, setError, FIELDS)));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-label="Pay a merchant">
      <SelectField
        label="Pay from"
        options={payers.map((account) => ({ value: account.id, label: accountLabel(account) }))}
        error={errors.payer_account_id?.message}
        {...register("payer_account_id", { required: "Choose the account to pay from." })}
      />
      <TextField
        label="Merchant's account number"
        hint="The merchant gives you the number of the account to pay into."
        autoComplete="off"
        spellCheck={false}
        error={errors.payee_account_id?.message}
        {...register("payee_account_id", { validate: validateAccountNumber })}
      />
      <TextField
        label={`Amount (${currency})`}
        hint={amountHint(currency)}
        inputMode={amountInputMode(currency)}
        autoComplete="off"
        error={errors.amount?.message}
        {...register("amount", { validate: validateAmount(currency) })}
      />
      <TextField
        label="Merchant"
        hint="The shop's name, as you would look for it later."
        maxLength={200}
        error={errors.merchant?.message}
        {...register("merchant", {
          validate: (merchant) => merchant.trim() !== "" || "Enter the merchant's name.",
        })}
      />
      <TextField
        label="Description (optional)"
        hint="What you are paying for, e.g. order 1234."
        maxLength={200}
        error={errors.description?.message}
        {...register("description")}
      />
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Paying…" : "Pay"}
      </button>
    </form>
  );
}
