// One Idempotency-Key per form submission. Submitting the same values again before the first
// submission succeeded (a double click, a retry after a network error or a 502) reuses the
// key, so the API applies the command at most once; changed values, or a submission after a
// success, get a new key (the API refuses a key reused with a different body).
import { useState } from "react";

export class SubmissionKeys {
  private pending: { key: string; body: string } | null = null;

  constructor(private readonly newKey: () => string = () => crypto.randomUUID()) {}

  /** The key for submitting `body`. */
  keyFor(body: unknown): string {
    const serialised = JSON.stringify(body);
    if (this.pending?.body !== serialised) {
      this.pending = { key: this.newKey(), body: serialised };
    }
    return this.pending.key;
  }

  /** The submission succeeded: the next one is a new command. */
  succeeded(): void {
    this.pending = null;
  }
}

/** A SubmissionKeys for the lifetime of a form component. */
export function useSubmissionKeys(): SubmissionKeys {
  const [keys] = useState(() => new SubmissionKeys());
  return keys;
}
