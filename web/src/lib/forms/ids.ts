// Ids people paste (account numbers are UUIDs): trimmed and lower-cased, checked for shape
// before the API is asked.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function normaliseId(text: string): string {
  return text.trim().toLowerCase();
}

/** A react-hook-form `validate` for an account number. */
export function validateAccountNumber(text: string): true | string {
  if (normaliseId(text) === "") return "Enter the account number.";
  return (
    UUID.test(normaliseId(text)) ||
    "An account number looks like 3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b."
  );
}
