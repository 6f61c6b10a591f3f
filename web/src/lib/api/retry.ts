// TanStack Query retry policy: up to two more attempts, only when no answer came or the
// service was unavailable. Commands use it only with their Idempotency-Key, so a retry of one
// that did arrive is answered from the first attempt's record rather than applied twice.
import { isTransient } from "./problem";

export function retryTransient(failureCount: number, error: unknown): boolean {
  return failureCount < 2 && isTransient(error);
}
