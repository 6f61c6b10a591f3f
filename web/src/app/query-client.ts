// The TanStack Query client: reads retried only when no answer came (or the service was
// unavailable), cached briefly; mutations never retried unless a hook says so (those with an
// Idempotency-Key do).
import { QueryClient } from "@tanstack/react-query";

import { retryTransient } from "../lib/api/retry";

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: retryTransient, staleTime: 5_000 },
      mutations: { retry: false },
    },
  });
}
