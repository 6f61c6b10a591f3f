// Refused money commands (409) in words for the person at the form: the API's problem types
// (insufficient-funds, account-frozen, …) say what happened; their `detail` is written for
// developers (account ids, minor units), so the forms show these sentences instead. Anything
// else keeps the API's own explanation.
import { ApiError } from "../api/problem";

const SENTENCES: Readonly<Record<string, string>> = {
  "insufficient-funds":
    "Not enough money available: the account's available balance does not cover this amount.",
  "account-frozen": "This account is frozen: no money can leave it until it is unfrozen.",
  "account-closed": "This account is closed: it takes no more money in or out.",
  "currency-mismatch":
    "The two accounts hold different currencies: choose an account in the same currency.",
  "same-account": "Choose another account: the money cannot go to the account it comes from.",
  "refund-exceeds-captured": "The refund is more than what is left to refund of this payment.",
  "invalid-payment-state":
    "The payment's status does not allow this any more. Reload to see it now.",
  "user-deactivated": "The account's owner has been deactivated.",
};

/** `error` with a sentence for people in place of a known refusal's detail. */
export function explainRefusal(error: unknown): unknown {
  if (!(error instanceof ApiError) || error.status !== 409) return error;
  const sentence = SENTENCES[error.code];
  if (sentence === undefined) return error;
  return new ApiError({
    status: error.status,
    type: error.type,
    title: error.title,
    detail: sentence,
    fieldErrors: error.fieldErrors,
    retryAfterS: error.retryAfterS,
  });
}
