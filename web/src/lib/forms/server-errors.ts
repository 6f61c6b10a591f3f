// Puts the API's field errors (problem+json `errors`) on the form's own fields; whatever the
// fields cannot show is returned, for the form to show above its button (null: nothing left).
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";

import { ApiError } from "../api/problem";

export function showServerErrors<T extends FieldValues>(
  error: unknown,
  setError: UseFormSetError<T>,
  fields: readonly Path<T>[],
): unknown {
  if (!(error instanceof ApiError) || error.fieldErrors.length === 0) return error;
  const unplaced = error.fieldErrors.filter(({ field, message }) => {
    const name = fields.find((candidate) => candidate === field);
    if (name === undefined) return true;
    setError(name, { type: "server", message }, { shouldFocus: true });
    return false;
  });
  if (unplaced.length === 0) return null;
  return new ApiError({
    status: error.status,
    type: error.type,
    title: error.title,
    detail: unplaced.map(({ field, message }) => `${field}: ${message}`).join(" "),
  });
}
