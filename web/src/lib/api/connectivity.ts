// Whether the API has been answering: the source of the "cannot reach the service" banner. A
// request that gets no answer (or the gateway's 502/503/504) marks it unreachable; any other
// answer marks it reachable again.
import { ApiUnreachableError, UNAVAILABLE_STATUSES } from "./problem";

export type Fetch = (request: Request) => Promise<Response>;

export class Connectivity {
  private reachable = true;
  private readonly listeners = new Set<() => void>();

  /** For useSyncExternalStore. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly isReachable = (): boolean => this.reachable;

  private set(reachable: boolean): void {
    if (reachable === this.reachable) return;
    this.reachable = reachable;
    for (const listener of this.listeners) listener();
  }

  /** `fetch`, watched: a failure to get an answer becomes ApiUnreachableError. */
  track(fetch: Fetch): Fetch {
    return async (request) => {
      let response: Response;
      try {
        response = await fetch(request);
      } catch (error) {
        if (error instanceof DOMException && error.name === "AbortError") throw error;
        this.set(false);
        throw new ApiUnreachableError(error);
      }
      this.set(!UNAVAILABLE_STATUSES.has(response.status));
      return response;
    };
  }
}
