// The errors API calls end in: ApiError for an RFC 9457 problem (from an API or the gateway),
// ApiUnreachableError when no answer came at all. Screens render these; nothing else is thrown.

/** One invalid input, named as the request body names it ("amount", "email.money_received"). */
export interface FieldError {
  field: string;
  message: string;
}

/** An answer with a problem+json body (or, rarely, some other error body). */
export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string;
  readonly fieldErrors: readonly FieldError[];
  /** Seconds to wait before retrying (429, 502, 503), when the answer said. */
  readonly retryAfterS: number | null;

  constructor(init: {
    status: number;
    type: string;
    title: string;
    detail: string;
    fieldErrors?: readonly FieldError[];
    retryAfterS?: number | null;
  }) {
    super(init.detail || init.title);
    this.name = "ApiError";
    this.status = init.status;
    this.type = init.type;
    this.title = init.title;
    this.detail = init.detail;
    this.fieldErrors = init.fieldErrors ?? [];
    this.retryAfterS = init.retryAfterS ?? null;
  }

  /** The problem type's last path segment: "insufficient-funds", "validation-error", … */
  get code(): string {
    return this.type.split("/").pop() ?? "";
  }
}

/** The request never got an answer: the network, the gateway or the whole service is down. */
export class ApiUnreachableError extends Error {
  constructor(cause?: unknown) {
    super("The service cannot be reached.", { cause });
    this.name = "ApiUnreachableError";
  }
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function fieldErrorsOf(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    if (typeof entry !== "object" || entry === null) return [];
    const { field, message } = entry as Record<string, unknown>;
    return typeof field === "string" && typeof message === "string" ? [{ field, message }] : [];
  });
}

/** The ApiError of an unsuccessful answer, whatever its body turned out to be. */
export function problemFrom(response: Response, body: unknown): ApiError {
  const problem = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
  return new ApiError({
    status: response.status,
    type: text(problem.type) || "about:blank",
    title: text(problem.title) || response.statusText || `HTTP ${response.status}`,
    detail: text(problem.detail),
    fieldErrors: fieldErrorsOf(problem.errors),
    retryAfterS: Number.isNaN(retryAfter) ? null : retryAfter,
  });
}

/** Statuses that mean "no API instance answered": the gateway's own 502, 503 and 504. */
export const UNAVAILABLE_STATUSES: ReadonlySet<number> = new Set([502, 503, 504]);

/** Whether trying again may succeed and cannot do harm: no answer, or an unavailable
 * service. (Commands are only retried with their Idempotency-Key, so a repeat is applied
 * once.) */
export function isTransient(error: unknown): boolean {
  return (
    error instanceof ApiUnreachableError ||
    (error instanceof ApiError && UNAVAILABLE_STATUSES.has(error.status))
  );
}
