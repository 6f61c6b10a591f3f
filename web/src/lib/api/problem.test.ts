import { describe, expect, it } from "vitest";

import { ApiError, ApiUnreachableError, isTransient, problemFrom } from "./problem";

describe("problemFrom", () => {
  it("reads an RFC 9457 problem with field errors", () => {
    const response = new Response(null, { status: 422 });
    const error = problemFrom(response, {
      type: "https://ledgerline.dev/problems/validation-error",
      title: "Validation error",
      status: 422,
      detail: "The request is invalid; see errors.",
      errors: [{ field: "amount", message: "Input should be greater than 0" }, { bogus: 1 }],
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.code).toBe("validation-error");
    expect(error.detail).toBe("The request is invalid; see errors.");
    expect(error.fieldErrors).toEqual([{ field: "amount", message: "Input should be greater than 0" }]);
  });

  it("keeps Retry-After", () => {
    const response = new Response(null, { status: 429, headers: { "Retry-After": "3" } });
    expect(problemFrom(response, { title: "Rate limited" }).retryAfterS).toBe(3);
  });

  it("copes with a body that is not a problem", () => {
    const response = new Response(null, { status: 500, statusText: "Internal Server Error" });
    const error = problemFrom(response, "<html>oops</html>");
    expect(error.title).toBe("Internal Server Error");
    expect(error.fieldErrors).toEqual([]);
  });
});

describe("isTransient", () => {
  it("is true for no answer and the gateway's unavailable statuses only", () => {
    const status = (code: number) => new ApiError({ status: code, type: "", title: "", detail: "" });
    expect(isTransient(new ApiUnreachableError())).toBe(true);
    expect(isTransient(status(502))).toBe(true);
    expect(isTransient(status(503))).toBe(true);
    expect(isTransient(status(504))).toBe(true);
    expect(isTransient(status(409))).toBe(false);
    expect(isTransient(status(500))).toBe(false);
    expect(isTransient(new Error("bug"))).toBe(false);
  });
});
