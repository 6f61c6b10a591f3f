// /webhooks/:endpointId: one endpoint's settings, its actions (test, rotate, disable, delete)
// and its delivery log.
import { Link, useNavigate, useParams } from "react-router";

import { DateTime } from "../../../components/DateTime";
import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useWebhookEndpoint } from "../api/use-webhook-endpoint";
import { DeliveryLog } from "../components/DeliveryLog";
import { EndpointActions } from "../components/EndpointActions";
import { eventTypesText } from "../components/EndpointList";

export function WebhookRoute() {
  const { endpointId = "" } = useParams();
  const endpoint = useWebhookEndpoint(endpointId);
  const navigate = useNavigate();
  const data = endpoint.data;
  return (
    <section>
      <p>
        <Link to="/webhooks">← All endpoints</Link>
      </p>
      <PageHeading>Webhook endpoint</PageHeading>
      {endpoint.isPending ? <p>Loading the endpoint…</p> : null}
      <ProblemAlert error={endpoint.error} />
      {data ? (
        <>
          <dl className="summary">
            <div className="summary-wide">
              <dt>URL</dt>
              <dd className="account-number">{data.url}</dd>
            </div>
            <div>
              <dt>Status</dt>
              <dd data-testid="endpoint-status">{data.enabled ? "Enabled" : "Disabled"}</dd>
            </div>
            <div>
              <dt>Added</dt>
              <dd>
                <DateTime value={data.created_at} />
              </dd>
            </div>
            <div className="summary-wide">
              <dt>Events</dt>
              <dd>{eventTypesText(data.event_types)}</dd>
            </div>
            {data.description ? (
              <div className="summary-wide">
                <dt>Description</dt>
                <dd>{data.description}</dd>
              </div>
            ) : null}
            {data.disabled_reason ? (
              <div className="summary-wide">
                <dt>Why it is disabled</dt>
                <dd>{data.disabled_reason}</dd>
              </div>
            ) : null}
            {data.failing_since ? (
              <div className="summary-wide">
                <dt>Failing since</dt>
                <dd>
                  <DateTime value={data.failing_since} />
                </dd>
              </div>
            ) : null}
          </dl>
          <EndpointActions
            endpoint={data}
            onDeleted={() => void navigate("/webhooks", { replace: true })}
          />
          <DeliveryLog endpointId={data.id} />
        </>
      ) : null}
    </section>
  );
}
