// Registers a webhook endpoint: its HTTPS URL, the event types to send it (or all), and a
// description. The API checks the URL (it must not point into private networks outside
// development) and answers with the signing secret, which the page shows once. A submission
// repeated before it succeeded reuses its Idempotency-Key: one endpoint, one secret.
import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";

import { ProblemAlert } from "../../../components/ProblemAlert";
import { TextField } from "../../../components/TextField";
import { useSubmissionKeys } from "../../../lib/api/idempotency";
import { showServerErrors } from "../../../lib/forms/server-errors";
import { useCreateWebhookEndpoint, type EndpointCreate } from "../api/use-webhook-commands";
import { useWebhookEventTypes } from "../api/use-webhook-event-types";

export const ALL_EVENTS = "*";

interface EndpointValues {
  url: string;
  description: string;
  all: boolean;
  event_types: string[];
}

export interface CreatedEndpoint {
  id: string;
  url: string;
  secret: string;
}

export function EndpointForm({ onCreated }: { onCreated: (created: CreatedEndpoint) => void }) {
  const eventTypes = useWebhookEventTypes();
  const create = useCreateWebhookEndpoint();
  const keys = useSubmissionKeys();
  const [problem, setProblem] = useState<unknown>(null);
  const { register, handleSubmit, setError, reset, control, formState } = useForm<EndpointValues>({
    defaultValues: { url: "", description: "", all: true, event_types: [] },
  });
  const { errors, isSubmitting } = formState;
  const all = useWatch({ control, name: "all" });

  const submit = handleSubmit(async (values) => {
    setProblem(null);
    const body: EndpointCreate = {
      url: values.url.trim(),
      description: values.description.trim(),
      event_types: values.all ? [ALL_EVENTS] : values.event_types,
    };
    try {
      const created = await create.mutateAsync({ body, idempotencyKey: keys.keyFor(body) });
      keys.succeeded();
      reset();
      onCreated({ id: created.id, url: created.url, secret: created.secret });
    } catch (error) {
      setProblem(showServerErrors(error, setError, ["url", "description", "event_types"]));
    }
  });

  return (
    <form onSubmit={(event) => void submit(event)} noValidate aria-labelledby="new-endpoint">
      <h2 id="new-endpoint">Add an endpoint</h2>
      <TextField
        label="URL"
        hint="Where to send the events, e.g. https://shop.example/hooks."
        type="url"
        inputMode="url"
        autoComplete="off"
        spellCheck={false}
        maxLength={2048}
        error={errors.url?.message}
        {...register("url", {
          validate: (url) => {
            try {
              const parsed = new URL(url.trim());
              return ["https:", "http:"].includes(parsed.protocol) || "Use an https:// address.";
            } catch {
              return "Enter the full address, starting with https://.";
            }
          },
        })}
      />
      <TextField
        label="Description (optional)"
        maxLength={500}
        error={errors.description?.message}
        {...register("description")}
      />
      <fieldset
        className="field-group"
        aria-describedby={errors.event_types ? "types-error" : undefined}
      >
        <legend>Events to send</legend>
        <label className="checkbox">
          <input type="checkbox" {...register("all")} />
          All events, including ones added later
        </label>
        {all ? null : eventTypes.data ? (
          eventTypes.data.map((type) => (
            <label className="checkbox" key={type}>
              <input
                type="checkbox"
                value={type}
                {...register("event_types", {
                  validate: (chosen, values) =>
                    values.all || chosen.length > 0 || "Choose at least one event.",
                })}
              />
              <code>{type}</code>
            </label>
          ))
        ) : (
          <ProblemAlert error={eventTypes.error} />
        )}
        {errors.event_types ? (
          <p id="types-error" className="field-error">
            {errors.event_types.message}
          </p>
        ) : null}
      </fieldset>
      <ProblemAlert error={problem} />
      <button type="submit" disabled={isSubmitting}>
        {isSubmitting ? "Adding…" : "Add the endpoint"}
      </button>
    </form>
  );
}
