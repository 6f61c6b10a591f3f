// What can be done to an endpoint: send a test ping, rotate its signing secret (the new one is
// shown once; the previous one keeps signing for 24 hours), disable or enable it, delete it
// (after a confirmation, since its delivery log goes with it).
import { useEffect, useRef, useState } from "react";

import { DateTime } from "../../../components/DateTime";
import { ProblemAlert } from "../../../components/ProblemAlert";
import type { Endpoint } from "../api/use-webhook-endpoints";
import {
  useDeleteWebhookEndpoint,
  useRotateWebhookSecret,
  useSendWebhookTest,
  useSetWebhookEndpointEnabled,
} from "../api/use-webhook-commands";
import { SecretOnce } from "./SecretOnce";

export function EndpointActions({
  endpoint,
  onDeleted,
}: {
  endpoint: Endpoint;
  onDeleted: () => void;
}) {
  const test = useSendWebhookTest(endpoint.id);
  const rotate = useRotateWebhookSecret(endpoint.id);
  const setEnabled = useSetWebhookEndpointEnabled(endpoint.id);
  const remove = useDeleteWebhookEndpoint(endpoint.id);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  const problem = test.error ?? rotate.error ?? setEnabled.error ?? remove.error;

  useEffect(() => {
    if (confirmingDelete) confirmButton.current?.focus();
  }, [confirmingDelete]);

  return (
    <section aria-labelledby="endpoint-actions">
      <h2 id="endpoint-actions" className="visually-hidden">
        Actions
      </h2>
      {rotate.data ? (
        <SecretOnce
          title="The new signing secret"
          secret={rotate.data.secret}
          onDismiss={() => {
            rotate.reset();
          }}
        >
          <p>
            The previous secret keeps signing beside it until{" "}
            <DateTime value={rotate.data.previous_secret_expires_at} />.
          </p>
        </SecretOnce>
      ) : null}
      <ProblemAlert error={problem} />
      {status ? (
        <p role="status" className="alert alert-success">
          {status}
        </p>
      ) : null}
      <div className="actions">
        <button
          type="button"
          disabled={test.isPending || !endpoint.enabled}
          onClick={() => {
            setStatus(null);
            test.mutate(undefined, {
              onSuccess: () => {
                setStatus("A test event (webhook.ping) is on its way: see the delivery log.");
              },
            });
          }}
        >
          Send a test event
        </button>
        <button
          type="button"
          className="secondary"
          disabled={rotate.isPending}
          onClick={() => {
            setStatus(null);
            rotate.mutate();
          }}
        >
          Rotate the secret
        </button>
        <button
          type="button"
          className="secondary"
          disabled={setEnabled.isPending}
          onClick={() => {
            setStatus(null);
            const enabled = !endpoint.enabled;
            setEnabled.mutate(enabled, {
              onSuccess: () => {
                setStatus(enabled ? "The endpoint is enabled." : "The endpoint is disabled.");
              },
            });
          }}
        >
          {endpoint.enabled ? "Disable" : "Enable"}
        </button>
        {confirmingDelete ? null : (
          <button
            type="button"
            className="danger"
            onClick={() => {
              setConfirmingDelete(true);
            }}
          >
            Delete
          </button>
        )}
      </div>
      {confirmingDelete ? (
        <div className="alert alert-error" role="group" aria-labelledby="confirm-delete">
          <p id="confirm-delete">
            Delete this endpoint? Nothing more is sent to it, and its delivery log goes too.
          </p>
          <div className="actions">
            <button
              ref={confirmButton}
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => {
                remove.mutate(undefined, { onSuccess: onDeleted });
              }}
            >
              Delete for good
            </button>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setConfirmingDelete(false);
              }}
            >
              Keep it
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
