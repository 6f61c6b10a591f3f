// The audit trail of a stream, replayed from the event store (auditors and admins any stream,
// others their own): its events with who, when and which command (GET
// /v1/audit/streams/{id}), its state at a version or a time (/state) and its hash chain
// recomputed (/chain).
import { useQuery } from "@tanstack/react-query";

import { useApi } from "../../../lib/api/api-context";
import { queryKeys } from "../../../lib/api/query-keys";
import { dataOf } from "../../../lib/api/result";
import type { components } from "../../../lib/generated/read-api";

export type AuditStream = components["schemas"]["AuditStream"];
export type AuditEvent = components["schemas"]["AuditEvent"];
export type AuditState = components["schemas"]["AuditState"];
export type ChainCheck = components["schemas"]["ChainCheck"];
export type StatePoint = { version: number } | { at: string };

export function useAuditStream(streamId: string) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.auditStream(streamId),
    queryFn: () =>
      dataOf(read.GET("/v1/audit/streams/{stream_id}", { params: { path: { stream_id: streamId } } })),
  });
}

export function useAuditState(streamId: string, point: StatePoint | null) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.auditState(streamId, JSON.stringify(point)),
    queryFn: () =>
      dataOf(
        read.GET("/v1/audit/streams/{stream_id}/state", {
          params: { path: { stream_id: streamId }, query: point ?? {} },
        }),
      ),
    enabled: point !== null,
  });
}

export function useChainCheck(streamId: string) {
  const { read } = useApi();
  return useQuery({
    queryKey: queryKeys.auditChain(streamId),
    queryFn: () =>
      dataOf(
        read.GET("/v1/audit/streams/{stream_id}/chain", { params: { path: { stream_id: streamId } } }),
      ),
  });
}
