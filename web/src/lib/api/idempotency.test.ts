import { describe, expect, it } from "vitest";

import { SubmissionKeys } from "./idempotency";

function keys() {
  let serial = 0;
  return new SubmissionKeys(() => `key-${++serial}`);
}

describe("SubmissionKeys", () => {
  it("reuses the key when the same values are submitted again before a success", () => {
    const submissions = keys();
    const body = { amount: 1250, reference: "rent" };
    expect(submissions.keyFor(body)).toBe("key-1");
    expect(submissions.keyFor({ ...body })).toBe("key-1");
  });

  it("takes a new key for changed values", () => {
    const submissions = keys();
    submissions.keyFor({ amount: 1250 });
    expect(submissions.keyFor({ amount: 1251 })).toBe("key-2");
  });

  it("takes a new key after a success, even for the same values", () => {
    const submissions = keys();
    submissions.keyFor({ amount: 1250 });
    submissions.succeeded();
    expect(submissions.keyFor({ amount: 1250 })).toBe("key-2");
  });

  it("makes random UUIDs by default", () => {
    const key = new SubmissionKeys().keyFor({});
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
