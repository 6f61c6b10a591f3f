import { describe, expect, it } from "vitest";

import { StreamVersions } from "./stream-versions";

describe("StreamVersions", () => {
  it("keeps the newest version written to each stream", () => {
    const versions = new StreamVersions();
    versions.wrote("a", 3);
    versions.wrote("a", 2);
    expect(versions.minVersion("a")).toBe(3);
    expect(versions.minVersion("b")).toBeUndefined();
  });

  it("takes every stream a command's result names", () => {
    const versions = new StreamVersions();
    versions.wroteAll({ id: "t", version: 1, streams: { source: 7, target: 4, t: 1 } });
    expect([versions.minVersion("t"), versions.minVersion("source"), versions.minVersion("target")]).toEqual([
      1, 7, 4,
    ]);
    versions.wroteAll({ id: "u", version: 2 });
    expect(versions.minVersion("u")).toBe(2);
  });
});
