// Where the relay and the projectors are (GET /v1/projections), polled every few seconds while
// the page is shown (and not paused); a failed poll keeps the last figures on screen.
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type ProjectionsStatus = components["schemas"]["ProjectionsStatusOut"];
export type ConsumerStatus = components["schemas"]["ConsumerStatusOut"];

export const REFRESH_MS = 5_000;

export function useProjectionsStatus(live: boolean) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.projections(),
    queryFn: () => dataOf(read.GET("/v1/projections")),
    refetchInterval: live ? REFRESH_MS : false,
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
}
