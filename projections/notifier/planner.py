"""What a batch of events owes: webhook deliveries for the matching endpoints and e-mails.

An endpoint gets a public event when its owner owns one of the accounts the event concerns,
it subscribed to the event's type (or ``*``), it is enabled, and it existed when the event was
recorded (events from before an endpoint was registered are not sent to it, even when the
notifier is behind).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from projections.notifier import mail_rules, public_events
from projections.notifier.deliveries import NewDelivery, delivery_id
from projections.notifier.endpoints import EndpointStore
from projections.notifier.facts import StreamFacts
from projections.notifier.mail_outbox import OwedMail, mail_id


@dataclass
class Plan:
    deliveries: list[NewDelivery] = field(default_factory=list)
    mails: list[OwedMail] = field(default_factory=list)
    forgotten_users: list[uuid.UUID] = field(default_factory=list)


class Planner:
    def __init__(
        self, facts: StreamFacts, endpoints: EndpointStore, *, large_withdrawal_minor: int
    ) -> None:
        self._facts = facts
        self._endpoints = endpoints
        self._large_withdrawal_minor = large_withdrawal_minor

    def plan(
        self, envelopes: Sequence[dict[str, Any]], traceparents: Mapping[str, str] | None = None
    ) -> Plan:
        """What ``envelopes`` owe; a delivery or mail gets the traceparent ``traceparents``
        gives for its event's id, if any."""
        traceparents = traceparents or {}
        relevant = [
            e
            for e in envelopes
            if public_events.is_public(e["type"]) or mail_rules.needs_mail(e["type"])
        ]
        for envelope in relevant:
            if envelope["type"] == "PaymentAuthorized":
                self._facts.remember_payment(str(envelope["stream_id"]), envelope["data"])
        self._facts.load(
            str(e["stream_id"]) for e in relevant if e["stream_type"] in ("Account", "Payment")
        )
        payments = {
            str(e["stream_id"]): self._facts.payment(str(e["stream_id"]))
            for e in relevant
            if e["stream_type"] == "Payment"
        }
        accounts = {
            account
            for e in relevant
            for account in self._accounts_of(e, payments.get(str(e["stream_id"])))
        }
        self._facts.load(accounts)
        owners = {a: o for a in accounts if (o := self._facts.owner_of(a)) is not None}
        # No query at all for a batch that concerns nobody's accounts (user events only).
        endpoints = (
            self._endpoints.of_owners(uuid.UUID(o) for o in set(owners.values())) if owners else []
        )
        by_owner: dict[str, list[Any]] = {}
        for endpoint in endpoints:
            by_owner.setdefault(str(endpoint.owner_id), []).append(endpoint)

        plan = Plan()
        plan.forgotten_users = [
            uuid.UUID(str(e["stream_id"]))
            for e in envelopes
            if e["type"] == "UserPersonalDataForgotten"
        ]
        for envelope in relevant:
            payment = payments.get(str(envelope["stream_id"]))
            traceparent = traceparents.get(str(envelope["event_id"]))
            if public_events.is_public(envelope["type"]):
                plan.deliveries += self._deliveries(
                    envelope, payment, owners, by_owner, traceparent
                )
            for intent in mail_rules.mails_for(
                envelope,
                owners=owners,
                payment=payment,
                large_withdrawal_minor=self._large_withdrawal_minor,
            ):
                plan.mails.append(
                    OwedMail(
                        id=mail_id(intent.kind, intent.user_id, str(envelope["event_id"])),
                        user_id=uuid.UUID(intent.user_id),
                        kind=intent.kind,
                        stream_id=uuid.UUID(str(envelope["stream_id"])),
                        version=int(envelope["version"]),
                        details=intent.details,
                        traceparent=traceparent,
                    )
                )
        return plan

    def _accounts_of(
        self, envelope: dict[str, Any], payment: public_events.PaymentFacts | None
    ) -> list[str]:
        if envelope["stream_type"] == "Account":
            return [str(envelope["stream_id"])]
        if envelope["stream_type"] == "Transfer":
            data = envelope["data"]
            return [str(data["from_account_id"]), str(data["to_account_id"])]
        if payment is not None:
            return [payment.payer_account_id, payment.payee_account_id]
        return []

    def _deliveries(
        self,
        envelope: dict[str, Any],
        payment: public_events.PaymentFacts | None,
        owners: dict[str, str],
        by_owner: dict[str, list[Any]],
        traceparent: str | None,
    ) -> list[NewDelivery]:
        if envelope["stream_type"] == "Payment" and payment is None:
            return []  # its authorization is not in the store: nothing to say about it
        event = public_events.public_event(envelope, payment)
        recorded_at = datetime.fromisoformat(str(envelope["recorded_at"]))
        entitled = dict.fromkeys(owners[a] for a in event.account_ids if a in owners)
        body = json.dumps(event.body, separators=(",", ":"), ensure_ascii=False)
        return [
            NewDelivery(
                id=delivery_id(endpoint.id, str(envelope["event_id"])),
                endpoint_id=endpoint.id,
                url=endpoint.url,
                event_type=event.type,
                event_id=event.body["id"],
                position=envelope.get("position"),
                body=body,
                traceparent=traceparent,
            )
            for owner in entitled
            for endpoint in by_owner.get(owner, [])
            if endpoint.wants(event.type) and endpoint.created_at <= recorded_at
        ]
