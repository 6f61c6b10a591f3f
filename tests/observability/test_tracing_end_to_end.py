"""One command, one trace: the whole system behind the gateway as OS processes (as `ledgerline dev
run` starts them), tracing on at ratio 1.0 into the session's Jaeger, read back through Jaeger's
query API. A deposit's trace holds the write API's request, the command, the append, the relay's
publish, both projectors' writes and the notifier's intake and webhook delivery, each a child of
the one before; a trace id the client sent is the trace's id; a reader's ``min_version`` wait is
a span of the reader's trace; log lines name the trace."""

from __future__ import annotations

import json
import secrets
import ssl
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from infra.http.auth import mint_token
from infra.servers import (
    ElasticsearchServer,
    JaegerServer,
    KafkaServer,
    MongoServer,
    NginxServer,
    PostgresServer,
    RedisServer,
)
from infra.settings import Settings
from infra.supervisor import Supervisor
from tests.credentials import PASSWORD
from tests.gateway.conftest import system_behind_gateway
from tests.notifier.receiver import Receiver, receiver
from tests.polling import wait_for

SERVICES = {
    name: f"ledgerline-{name}"
    for name in (
        "write-api",
        "read-api",
        "relay",
        "projector-mongo",
        "projector-search",
        "notifier",
    )
}


@dataclass
class TracedSystem:
    settings: Settings
    supervisor: Supervisor
    gateway: NginxServer
    jaeger: JaegerServer
    hooks: Receiver

    def client(self) -> httpx.Client:
        verify = ssl.create_default_context(cafile=str(self.gateway.ca.cert_path))
        return httpx.Client(base_url=self.gateway.url, verify=verify, timeout=30)

    def token(self, user_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint_token(self.settings, user_id, ['customer'], 600)}"}


@pytest.fixture(scope="module")
def system(
    postgres_server: PostgresServer,
    kafka_server: KafkaServer,
    mongo_server: MongoServer,
    elasticsearch_server: ElasticsearchServer,
    redis_server: RedisServer,
    jaeger_server: JaegerServer,
) -> Iterator[TracedSystem]:
    with (
        receiver() as hooks,
        system_behind_gateway(
            postgres_server,
            kafka_server,
            mongo_server,
            elasticsearch_server,
            redis_server,
            instances=1,
            processes=None,
            tracing_endpoint=jaeger_server.otlp_http_endpoint,
            tracing_sample_ratio=1.0,
            log_level="INFO",
            log_format="json",
        ) as system,
    ):
        # The tracing variables come from the settings: the supervisor adds them itself.
        assert all(
            child.env
            and child.env["LEDGERLINE_TRACING_ENDPOINT"] == system.settings.tracing_endpoint
            for child in system.supervisor.children
        )
        yield TracedSystem(system.settings, system.supervisor, system.server, jaeger_server, hooks)


def _traceparent() -> tuple[str, str, str]:
    """A client's own sampled traceparent: (header value, trace id, span id)."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


def _trace(jaeger: JaegerServer, trace_id: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"{jaeger.url}/api/traces/{trace_id}", timeout=5) as answer:
            traces: list[dict[str, Any]] = json.load(answer)["data"]
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise
    return traces[0] if traces else None


@dataclass(frozen=True)
class Span:
    id: str
    parent: str | None
    service: str
    name: str
    start_us: int
    tags: dict[str, Any]
    links: tuple[tuple[str, str], ...] = ()  # (trace id, span id) of each FOLLOWS_FROM


def _spans(trace: dict[str, Any]) -> list[Span]:
    processes = {key: value["serviceName"] for key, value in trace["processes"].items()}
    spans = []
    for raw in trace["spans"]:
        references = raw.get("references", [])
        parents = [r["spanID"] for r in references if r["refType"] == "CHILD_OF"]
        links = tuple((r["traceID"], r["spanID"]) for r in references if r["refType"] != "CHILD_OF")
        spans.append(
            Span(
                id=raw["spanID"],
                parent=parents[0] if parents else None,
                service=processes[raw["processID"]],
                name=raw["operationName"],
                start_us=raw["startTime"],
                tags={tag["key"]: tag["value"] for tag in raw.get("tags", [])},
                links=links,
            )
        )
    return spans


def _step(jaeger: JaegerServer, spans: list[Span], consumer: Span, name: str) -> Span:
    """The batch step ``name`` of ``consumer`` (an event's span in a consumer's batch): its
    child when the event was the batch's first traced one, else the child of the first one's
    span, in that event's trace, which ``consumer`` links to (``infra.tracing.batches``)."""
    children = [s for s in spans if s.parent == consumer.id and s.name == name]
    if children:
        return children[0]
    assert len(consumer.links) == 1, f"{consumer.name} has neither a {name} step nor one link"
    trace_id, first = consumer.links[0]

    def found() -> Span | None:
        trace = _trace(jaeger, trace_id)
        linked = _spans(trace) if trace else []
        return next((s for s in linked if s.parent == first and s.name == name), None)

    step: Span = wait_for(found, 30, 0.5, what=f"{name} in the linked trace {trace_id}")
    return step


def _wait_for_spans(
    jaeger: JaegerServer, trace_id: str, wanted: set[tuple[str, str]]
) -> list[Span]:
    """The trace's spans once it holds every (service, span name) of ``wanted``."""

    def complete() -> list[Span] | None:
        trace = _trace(jaeger, trace_id)
        if trace is None:
            return None
        spans = _spans(trace)
        return spans if wanted <= {(s.service, s.name) for s in spans} else None

    def missing() -> set[tuple[str, str]]:
        trace = _trace(jaeger, trace_id)
        return wanted - {(s.service, s.name) for s in _spans(trace)} if trace else wanted

    try:
        return wait_for(complete, 60, 0.5, what=f"the spans of trace {trace_id}")
    except AssertionError as error:
        raise AssertionError(f"{error}; missing {sorted(missing())}") from None


def _one(spans: list[Span], service: str, name: str) -> Span:
    found = [s for s in spans if s.service == SERVICES[service] and s.name == name]
    assert len(found) == 1, (service, name, found)
    return found[0]


def _open_account(system: TracedSystem, client: httpx.Client) -> tuple[str, dict[str, str]]:
    email = f"trace-{uuid.uuid4().hex[:12]}@example.com"
    body = {"email": email, "full_name": "Trace Tester", "password": PASSWORD}
    user = client.post("/v1/users", json=body)
    assert user.status_code == 201, user.text
    auth = system.token(user.json()["id"])
    account = client.post(
        "/v1/accounts", json={"owner_id": user.json()["id"], "currency": "EUR"}, headers=auth
    )
    assert account.status_code == 201, account.text
    hook = client.post(
        "/v1/webhooks",
        json={"url": system.hooks.url, "event_types": ["account.credited"]},
        headers=auth,
    )
    assert hook.status_code == 201, hook.text
    return account.json()["id"], auth


def test_a_deposit_through_the_gateway_is_one_trace_across_every_process(
    system: TracedSystem,
) -> None:
    client = system.client()
    account_id, auth = _open_account(system, client)
    traceparent, trace_id, client_span_id = _traceparent()

    deposit = client.post(
        f"/v1/accounts/{account_id}/deposits",
        json={"amount": 2500, "reference": "salary"},
        headers=auth | {"traceparent": traceparent},
    )
    assert deposit.status_code == 200, deposit.text

    request_name = "POST /v1/accounts/{account_id}/deposits"
    wanted = {
        (SERVICES["write-api"], request_name),
        (SERVICES["write-api"], "command DepositFunds"),
        (SERVICES["write-api"], "event_store append"),
        (SERVICES["relay"], "relay publish"),
        (SERVICES["projector-mongo"], "project mongo"),
        (SERVICES["projector-search"], "project search"),
        (SERVICES["notifier"], "notifier intake"),
        (SERVICES["notifier"], "webhook deliver"),
    }
    # Found under the client's trace id: the id it sent was kept.
    spans = _wait_for_spans(system.jaeger, trace_id, wanted)

    request = _one(spans, "write-api", request_name)
    command = _one(spans, "write-api", "command DepositFunds")
    append = _one(spans, "write-api", "event_store append")
    publish = _one(spans, "relay", "relay publish")
    mongo = _one(spans, "projector-mongo", "project mongo")
    search = _one(spans, "projector-search", "project search")
    intake = _one(spans, "notifier", "notifier intake")
    # Each consumer's writes: in this trace if the deposit came first in its batch, else in the
    # trace of the batch's first event, which the deposit's span links to.
    mongo_write = _step(system.jaeger, spans, mongo, "mongo write")
    search_write = _step(system.jaeger, spans, search, "search write")
    store = _step(system.jaeger, spans, intake, "notifier store")
    delivery = _one(spans, "notifier", "webhook deliver")
    by_id = {span.id: span for span in spans}

    def ancestors(span: Span) -> list[str]:
        chain = []
        while span.parent is not None and span.parent in by_id:
            span = by_id[span.parent]
            chain.append(span.id)
        return chain

    # The causal chain, by parent references: client -> request -> ... -> command, which is the
    # parent of the append and of the relay's publish; the publish is the parent of every
    # consumer's span; each step is a child of its consumer's span.
    assert request.parent == client_span_id
    assert request.id in ancestors(command)
    assert append.parent == command.id
    assert publish.parent == command.id
    for consumer in (mongo, search, intake):
        assert consumer.parent == publish.id
    assert intake.id in ancestors(delivery)
    # ... and in time: each batch's writes within the span of the deposit's handling.
    assert request.start_us <= command.start_us <= append.start_us <= publish.start_us
    assert publish.start_us <= min(mongo.start_us, search.start_us, intake.start_us)
    assert mongo.start_us <= mongo_write.start_us and search.start_us <= search_write.start_us
    assert intake.start_us <= store.start_us <= delivery.start_us

    # What the spans say, and what they must not.
    assert command.tags["ledgerline.command.outcome"] == "ok"
    assert append.tags["ledgerline.events"] == 1
    assert publish.tags["messaging.destination.name"] == system.settings.kafka_topic
    assert mongo.tags["ledgerline.event_type"] == "AccountCredited"
    assert delivery.tags["http.response.status_code"] == 200
    assert all("@" not in str(value) for span in spans for value in span.tags.values())
    # The psycopg and pymongo spans hang in the same trace, statements without values.
    statements = [s.tags.get("db.statement") or s.tags.get("db.query.text") for s in spans]
    assert any(s and "INSERT INTO events" in s for s in statements)
    assert all("salary" not in str(s) for s in statements)

    # Our trace context stays inside Ledgerline: the receiver got no traceparent.
    def received() -> list[Any]:
        return [r for r in system.hooks.delivered() if account_id in r.body.decode()]

    [webhook] = wait_for(received, 10, what="the webhook")
    assert "traceparent" not in webhook.headers


def test_a_min_version_read_waits_in_the_readers_trace(system: TracedSystem) -> None:
    client = system.client()
    account_id, auth = _open_account(system, client)
    deposit = client.post(
        f"/v1/accounts/{account_id}/deposits",
        json={"amount": 100, "reference": "top-up"},
        headers=auth,
    )
    assert deposit.status_code == 200, deposit.text
    traceparent, trace_id, _ = _traceparent()

    read = client.get(
        f"/v1/accounts/{account_id}",
        params={"min_version": deposit.json()["version"]},
        headers=auth | {"traceparent": traceparent},
    )
    assert read.status_code == 200, read.text

    request_name = "GET /v1/accounts/{account_id}"
    spans = _wait_for_spans(
        system.jaeger,
        trace_id,
        {(SERVICES["read-api"], request_name), (SERVICES["read-api"], "min_version wait")},
    )
    request = _one(spans, "read-api", request_name)
    wait = _one(spans, "read-api", "min_version wait")
    assert wait.parent == request.id
    assert wait.tags["ledgerline.caught_up"] is True
    assert wait.tags["ledgerline.min_version"] == deposit.json()["version"]
    # The query string is in the span with its values redacted.
    assert request.tags.get("url.query") == "min_version=[redacted]"


def test_log_lines_name_the_trace_of_a_request_that_came_without_one(
    system: TracedSystem,
) -> None:
    client = system.client()
    account_id, auth = _open_account(system, client)
    correlation_id = f"trace-logs-{uuid.uuid4().hex}"

    deposit = client.post(
        f"/v1/accounts/{account_id}/deposits",
        json={"amount": 100, "reference": "top-up"},
        headers=auth | {"X-Correlation-ID": correlation_id},
    )
    assert deposit.status_code == 200, deposit.text

    log_path = system.supervisor.child("write-api").log_path

    def request_line() -> dict[str, Any] | None:
        for line in log_path.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("event") == "http_request" and record.get("correlation_id") == (
                correlation_id
            ):
                return dict(record)
        return None

    line = wait_for(request_line, 10, what="the request's log line")
    assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16
    # The trace the write API started itself, with the projectors' work in it (the batch's
    # write in this trace, or in the batch's first traced event's, which the span links to).
    spans = _wait_for_spans(
        system.jaeger,
        line["trace_id"],
        {
            (SERVICES["write-api"], "command DepositFunds"),
            (SERVICES["projector-mongo"], "project mongo"),
        },
    )
    mongo = _one(spans, "projector-mongo", "project mongo")
    assert _step(system.jaeger, spans, mongo, "mongo write").name == "mongo write"
