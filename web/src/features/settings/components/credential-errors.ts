// A wrong password where the API asks for the current one is a 401 "invalid-credentials"
// problem without field errors: it belongs on that password field.
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";

import { ApiError } from "../../../lib/api/problem";
import { showServerErrors } from "../../../lib/forms/server-errors";

export function showCredentialErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  passwordField: Path<T>,
  fields: readonly Path<T>[],
): unknown {
  if (error instanceof ApiError && error.status === 401 && error.code === "invalid-credentials") {
    setError(passwordField, { type: "server", message: error.detail }, { shouldFocus: true });
    return null;
  }
  return showServerErrors(error, setError, fields);
}
