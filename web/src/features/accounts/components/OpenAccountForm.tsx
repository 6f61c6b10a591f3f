// Opens an account in a chosen currency for the signed-in user.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { SelectField } from "../../../components/SelectField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { CURRENCY_CODES } from "../../../lib/money/money";
import { useOpenAccount, type OpenAccountBody } from "../api/use-open-account";

export function OpenAccountForm({
  ownerId,
  onOpened,
}: {
  ownerId: string;
  onOpened: (accountId: string) => void;
}) {
  const openAccount = useOpenAccount();
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, formState } = useForm<{ currency: string }>({
    defaultValues: { currency: "EUR" },
  });
  const { errors, isSubmitting } = formState;

  const submit = handleSubmit(async ({ currency }) => {
    setProblem(null);
    const body: OpenAccountBody = { owner_id: ownerId, currency };
    try {
      const opened = await openAccount.mutateAsync({ body, idempotencyKey: keys.keyFor(body) });
      keys.succeeded();
      onOpened(opened.id);
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["currency"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate className="inline-form">
      <SelectField
        label="Currency"
        options={CURRENCY_CODES}
        error={errors.currency?.message}
        {...register("currency")}
      />
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Opening…" : "Open account"}
      </button>
    </form>
  );
}
