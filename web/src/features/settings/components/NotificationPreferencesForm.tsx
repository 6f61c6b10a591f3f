// Which e-mails to get, and their language. Security e-mails (new logins, password and
// two-step changes, …) cannot be turned off: they are shown, ticked and disabled.
import { useState } from "react";
import { useForm } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { showServerErrors } from "../../../lib/forms/server-errors";
import type { components } from "../../../lib/generated/write-api";
import {
  useChangeNotificationPreferences,
  type NotificationPreferences,
} from "../api/use-notification-preferences";

type Kind = keyof components["schemas"]["EmailPreferences"];
type Language = NonNullable<components["schemas"]["NotificationPreferencesUpdate"]["language"]>;

/** Every kind the API knows, in words (the compiler notices a kind added to the API). */
const KIND_LABELS: Readonly<Record<Kind, string>> = {
  money_received: "Money arrives in one of my accounts",
  payment_captured: "A payment to me is captured",
  payment_refunded: "A payment of mine is refunded",
  large_withdrawal: "A large withdrawal from one of my accounts",
  new_device_login: "A login from a new device",
  password_changed: "My password changes",
  mfa_changed: "Two-step login is turned on or off",
  webhook_endpoint_disabled: "One of my webhook endpoints is disabled",
  verify_email: "A link to confirm my e-mail address",
  password_reset: "A link to reset my password",
};
const OPTIONAL_KINDS: readonly Kind[] = [
  "money_received",
  "payment_captured",
  "payment_refunded",
  "large_withdrawal",
];
const SECURITY_KINDS = (Object.keys(KIND_LABELS) as Kind[]).filter(
  (kind) => !OPTIONAL_KINDS.includes(kind),
);
const LANGUAGES: readonly { code: Language; name: string }[] = [
  { code: "en", name: "English" },
  { code: "pt", name: "Português" },
];

interface PreferenceValues {
  email: Record<string, boolean>;
  language: Language;
}

export function NotificationPreferencesForm({
  userId,
  preferences,
}: {
  userId: string;
  preferences: NotificationPreferences;
}) {
  const change = useChangeNotificationPreferences(userId);
  const [problem, setProblem] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const { register, handleSubmit, setError, formState } = useForm<PreferenceValues>({
    defaultValues: {
      email: Object.fromEntries(OPTIONAL_KINDS.map((kind) => [kind, preferences.email[kind] ?? true])),
      language: preferences.language ?? "en",
    },
  });
  const { isSubmitting } = formState;

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    setDone(false);
    const email = Object.fromEntries(OPTIONAL_KINDS.map((kind) => [kind, values.email[kind] === true]));
    try {
      await change.mutateAsync({ email, language: values.language });
      setDone(true);
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["language"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      <fieldset>
        <legend>E-mail me when</legend>
        {OPTIONAL_KINDS.map((kind) => (
          <div className="checkbox" key={kind}>
            <input id={`kind-${kind}`} type="checkbox" {...register(`email.${kind}`)} />
            <label htmlFor={`kind-${kind}`}>{KIND_LABELS[kind]}</label>
          </div>
        ))}
      </fieldset>
      <fieldset>
        <legend>Always sent, for your security</legend>
        {SECURITY_KINDS.map((kind) => (
          <div className="checkbox" key={kind}>
            <input id={`kind-${kind}`} type="checkbox" checked disabled readOnly />
            <label htmlFor={`kind-${kind}`}>{KIND_LABELS[kind]}</label>
          </div>
        ))}
      </fieldset>
      <div className="field">
        <label htmlFor="mail-language">Language of the e-mails</label>
        <select id="mail-language" {...register("language")}>
          {LANGUAGES.map(({ code, name }) => (
            <option key={code} value={code} lang={code}>
              {name}
            </option>
          ))}
        </select>
      </div>
      <ProblemAlert error={problem} />
      {done ? (
        <p role="status" className="alert alert-success">
          Your e-mail settings are saved.
        </p>
      ) : null}
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Saving…" : "Save e-mail settings"}
      </button>
    </form>
  );
}
