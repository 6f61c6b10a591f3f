// /webhooks: the user's webhook endpoints and registering a new one, whose signing secret is
// shown here once (kept only in this page's memory: not in the URL, history or storage).
import { useState } from "react";
import { Link } from "react-router";

import { PageHeading } from "../../../components/PageHeading";
import { ProblemAlert } from "../../../components/ProblemAlert";
import { useWebhookEndpoints } from "../api/use-webhook-endpoints";
import { EndpointForm, type CreatedEndpoint } from "../components/EndpointForm";
import { EndpointList } from "../components/EndpointList";
import { SecretOnce } from "../components/SecretOnce";

export function WebhooksRoute() {
  const endpoints = useWebhookEndpoints();
  const [created, setCreated] = useState<CreatedEndpoint | null>(null);
  return (
    <section>
      <PageHeading>Webhooks</PageHeading>
      <p>
        Ledgerline sends events about your accounts and payments to these addresses, signed as
        the Standard Webhooks specification says.
      </p>
      {created ? (
        <SecretOnce
          title="Endpoint added"
          secret={created.secret}
          onDismiss={() => {
            setCreated(null);
          }}
        >
          <p>
            <Link to={`/webhooks/${created.id}`}>Open {created.url}</Link> to send it a test event
            and watch its deliveries.
          </p>
        </SecretOnce>
      ) : null}
      {endpoints.isPending ? <p>Loading your endpoints…</p> : null}
      <ProblemAlert error={endpoints.error} />
      {endpoints.data ? <EndpointList endpoints={endpoints.data} /> : null}
      <EndpointForm onCreated={setCreated} />
    </section>
  );
}
