// Read-your-writes: the newest version of each stream (account, user, …) this console has
// written, as the commands returned it. Reads of that resource pass it as `min_version`, so
// the query API waits until its read model has caught up rather than show stale data.
export class StreamVersions {
  private readonly versions = new Map<string, number>();

  /** Remember that a command brought stream `id` to `version`. */
  wrote(id: string, version: number): void {
    this.versions.set(id, Math.max(version, this.versions.get(id) ?? 0));
  }

  /** Remember every stream a command appended to (its `streams`: a transfer names both
   * accounts and the transfer), and the aggregate it addressed. */
  wroteAll(result: { id: string; version: number; streams?: Record<string, number> }): void {
    this.wrote(result.id, result.version);
    for (const [id, version] of Object.entries(result.streams ?? {})) this.wrote(id, version);
  }

  /** The `min_version` to read stream `id` with, if this console wrote to it. */
  minVersion(id: string): number | undefined {
    return this.versions.get(id);
  }
}
