import { describe, expect, it } from "vitest";

import { formatInstant, formatSeconds, localInputToInstant } from "./time";

describe("time", () => {
  it("shows an instant in the locale with seconds", () => {
    expect(formatInstant("2026-11-30T14:03:07Z", "en-GB")).toMatch(/30 Nov 2026.*\d{2}:03:07/);
  });

  it("leaves a text that is no instant as it is", () => {
    expect(formatInstant("yesterday")).toBe("yesterday");
  });

  it("writes durations in the largest sensible units", () => {
    expect(formatSeconds(0.4)).toBe("0 s");
    expect(formatSeconds(59)).toBe("59 s");
    expect(formatSeconds(185)).toBe("3 min 5 s");
    expect(formatSeconds(7800)).toBe("2 h 10 min");
  });

  it("reads a datetime-local value as local time", () => {
    const instant = localInputToInstant("2026-11-30T14:03");
    expect(instant).toBe(new Date(2026, 10, 30, 14, 3).toISOString());
    expect(localInputToInstant("30/11/2026")).toBeNull();
    expect(localInputToInstant("")).toBeNull();
  });
});
