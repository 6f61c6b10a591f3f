// An endpoint's delivery log: each delivery (event type, status, when, next retry) with its
// attempts (HTTP status, latency, error); failed or pending ones can be retried now.
import { useState } from "react";

import { DateTime } from "../../../components/DateTime";
import { LoadMore } from "../../../components/LoadMore";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useRetryWebhookDelivery } from "../api/use-webhook-commands";
import { useWebhookDeliveries, type Delivery } from "../api/use-webhook-deliveries";

function Attempts({ delivery }: { delivery: Delivery }) {
  if (delivery.attempts.length === 0) return <p className="item-meta">Not attempted yet.</p>;
  return (
    <ol className="attempts">
      {delivery.attempts.map((attempt) => (
        <li key={attempt.attempt}>
          Attempt {attempt.attempt}, <DateTime value={attempt.started_at} />:{" "}
          {attempt.status_code === null ? "no answer" : `HTTP ${attempt.status_code}`} in{" "}
          {attempt.latency_ms} ms{attempt.error ? ` (${attempt.error})` : ""}
        </li>
      ))}
    </ol>
  );
}

export function DeliveryLog({ endpointId }: { endpointId: string }) {
  const deliveries = useWebhookDeliveries(endpointId);
  const retry = useRetryWebhookDelivery(endpointId);
  const [retried, setRetried] = useState<string | null>(null);
  const items = deliveries.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="deliveries-heading" className="deliveries">
      <h2 id="deliveries-heading">Delivery log</h2>
      {deliveries.isPending ? <p>Loading the deliveries…</p> : null}
      <ProblemAlert error={deliveries.error ?? retry.error} />
      {deliveries.data && items.length === 0 ? <p>Nothing has been sent yet.</p> : null}
      {items.length > 0 ? (
        <ol className="item-list" aria-label="Deliveries">
          {items.map((delivery) => (
            <li key={delivery.id}>
              <div className="item-head">
                <code>{delivery.event_type}</code>
                <span className="status-badge" data-testid="delivery-status">
                  {delivery.status}
                </span>
              </div>
              <div className="item-meta">
                Created <DateTime value={delivery.created_at} />
                {delivery.delivered_at ? (
                  <>
                    , delivered <DateTime value={delivery.delivered_at} />
                  </>
                ) : null}
                {delivery.next_attempt_at && delivery.status !== "delivered" ? (
                  <>
                    , next attempt <DateTime value={delivery.next_attempt_at} />
                  </>
                ) : null}
              </div>
              <Attempts delivery={delivery} />
              {delivery.status === "delivered" ? null : (
                <button
                  type="button"
                  className="secondary"
                  aria-disabled={retry.isPending}
                  onClick={() => {
                    if (retry.isPending) return;
                    retry.mutate(delivery.id, {
                      onSuccess: () => {
                        setRetried(delivery.id);
                      },
                    });
                  }}
                >
                  Retry now
                  <span className="visually-hidden"> the {delivery.event_type} delivery</span>
                </button>
              )}
              {retried === delivery.id ? <p className="item-meta">Sent again.</p> : null}
            </li>
          ))}
        </ol>
      ) : null}
      {deliveries.data ? (
        <LoadMore
          shown={items.length}
          noun={["delivery", "deliveries"]}
          hasMore={deliveries.hasNextPage}
          loading={deliveries.isFetchingNextPage}
          onLoadMore={() => void deliveries.fetchNextPage()}
        />
      ) : null}
    </section>
  );
}
