// Says what went wrong with a request, in words for people: the API's own explanation of a
// refused command (409: insufficient funds, a frozen account, an e-mail address in use), what
// to do about a conflict (412) or a limit (429), or that the service cannot be reached.
import { ApiError, ApiUnreachableError } from "../lib/api/problem";

export function problemMessage(error: unknown): string {
  if (error instanceof ApiUnreachableError) {
    return "The service cannot be reached. Check your connection and try again.";
  }
  if (!(error instanceof ApiError)) return "Something went wrong. Please try again.";
  switch (error.status) {
    case 401:
      return error.detail || "Your session has ended. Please log in again.";
    case 412:
      return "This changed meanwhile. Reload the page and try again.";
    case 429:
      return error.retryAfterS === null
        ? "Too many attempts. Please wait a moment and try again."
        : `Too many attempts. Please try again in ${error.retryAfterS} seconds.`;
    case 502:
    case 503:
    case 504:
      return "The service is unavailable right now. Please try again in a moment.";
    default:
      return error.detail || error.title;
  }
}

export function ProblemAlert({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <div role="alert" className="alert alert-error">
      {problemMessage(error)}
    </div>
  );
}
