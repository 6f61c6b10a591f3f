// An operator's actions on an account, each with a reason (kept in the account's audit trail):
// freeze (no more debits), unfreeze, close (only with zero balance and no holds; the API's 409
// says so). Closing cannot be undone, so it asks once more. The version on screen goes along
// as If-Match: if the account changed meanwhile, nothing happens and the page says to reload.
import { useEffect, useRef, useState } from "react";
import { useForm } from "react-hook-form";

import { problemMessage } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { ApiError } from "../../../lib/api/problem";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { formatMinorUnits } from "../../../lib/money/money";
import { useAccountAction, type AccountAction } from "../api/use-account-action";
import type { Account } from "../api/use-staff-account";

const DONE: Readonly<Record<AccountAction, string>> = {
  freeze: "The account is frozen.",
  unfreeze: "The account is unfrozen.",
  close: "The account is closed.",
};
const LABELS: Readonly<Record<AccountAction, string>> = {
  freeze: "Freeze account",
  unfreeze: "Unfreeze account",
  close: "Close account",
};

/** The API's refusal in words for the operator; a close refused for money still in the account
 * says how much (the API's own detail counts minor units). */
function refusal(error: unknown, account: Account): string {
  if (error instanceof ApiError && error.code === "account-not-empty") {
    const held = account.held > 0 ? `, ${formatMinorUnits(account.held, account.currency)} of it held` : "";
    return (
      "Only an account with zero balance and no holds can be closed: this one holds " +
      `${formatMinorUnits(account.balance, account.currency)}${held}.`
    );
  }
  return problemMessage(error);
}

function actionsFor(status: Account["status"]): AccountAction[] {
  if (status === "open") return ["freeze", "close"];
  if (status === "frozen") return ["unfreeze", "close"];
  return [];
}

export function AccountActionsForm({ account, onReload }: { account: Account; onReload: () => void }) {
  const act = useAccountAction(account.id);
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirmingClose, setConfirmingClose] = useState(false);
  const { register, handleSubmit, setError, reset, formState } = useForm<{ reason: string }>({
    defaultValues: { reason: "" },
  });
  const { errors, isSubmitting } = formState;
  const actions = actionsFor(account.status);
  const keepOpen = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (confirmingClose) keepOpen.current?.focus(); // the safe choice, where the button was
  }, [confirmingClose]);

  const run = (action: AccountAction) =>
    handleSubmit(async ({ reason }) => {
      setProblem(null);
      setDone(null);
      if (action === "close" && !confirmingClose) {
        setConfirmingClose(true);
        return;
      }
      setConfirmingClose(false);
      const body = { action, reason: reason.trim(), seenVersion: account.version };
      try {
        await act.mutateAsync({ ...body, idempotencyKey: keys.keyFor(body) });
        keys.succeeded();
        reset();
        setDone(DONE[action]);
      } catch (error) {
        setProblem(showServerErrors(error, setError, ["reason"]));
      }
    });

  if (actions.length === 0) {
    return (
      <>
        {done ? (
          <p role="status" className="alert alert-success">
            {done}
          </p>
        ) : null}
        <p>This account is closed: there is nothing more to do with it.</p>
      </>
    );
  }
  const changedMeanwhile = problem instanceof ApiError && problem.status === 412;
  return (
    <form noValidate onSubmit={(event) => void run(actions[0] ?? "freeze")(event)}>
      <TextField
        label="Reason"
        hint="Why: it is recorded with the action in the account's audit trail."
        maxLength={200}
        autoComplete="off"
        error={errors.reason?.message}
        {...register("reason", { validate: (reason) => reason.trim() !== "" || "Give a reason." })}
      />
      {problem === null ? null : (
        <div role="alert" className="alert alert-error">
          {refusal(problem, account)}
        </div>
      )}
      {changedMeanwhile ? (
        <p>
          <button type="button" className="secondary" onClick={onReload}>
            Reload the account
          </button>
        </p>
      ) : null}
      {done ? (
        <p role="status" className="alert alert-success">
          {done}
        </p>
      ) : null}
      {confirmingClose ? (
        <div role="alert" className="alert alert-error">
          <p>Closing cannot be undone. Close this account?</p>
          <div className="button-row">
            <button type="button" className="danger" disabled={isSubmitting} onClick={(e) => void run("close")(e)}>
              Yes, close it
            </button>
            <button
              ref={keepOpen}
              type="button"
              className="secondary"
              onClick={() => {
                setConfirmingClose(false);
              }}
            >
              Keep it open
            </button>
          </div>
        </div>
      ) : (
        <div className="button-row">
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              className={action === "close" ? "danger" : undefined}
              disabled={isSubmitting}
              onClick={(event) => void run(action)(event)}
            >
              {isSubmitting && act.variables?.action === action ? "Working…" : LABELS[action]}
            </button>
          ))}
        </div>
      )}
    </form>
  );
}
