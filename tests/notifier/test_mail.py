"""E-mail from the event stream, read back through a real Mailpit: what is mailed to whom, in
which language, what preferences turn off, the links that verify an address and reset a
password, new-device logins, forgetting, and an SMTP server that is down."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from infra.mail import Mailer
from projections.notifier.mail_sender import MailSender
from tests.credentials import PASSWORD
from tests.mailbox import Mailbox
from tests.notifier.conftest import NotifySystem
from tests.polling import wait_for


def _token(mail_text: str) -> str:
    found = re.search(r"token=([A-Za-z0-9._~%-]+)", mail_text)
    assert found, mail_text
    return found.group(1)


def _outbox(system: NotifySystem, user_id: str) -> list[dict[str, object]]:
    return system.notifier.outbox.of_user(uuid.UUID(user_id))


def _owed(system: NotifySystem, user_id: str, kind: str) -> dict[str, object]:
    """The user's mail of ``kind`` once the intake has stored it."""
    found = wait_for(
        lambda: [m for m in _outbox(system, user_id) if m["kind"] == kind],
        30,
        what=f"a {kind} mail owed",
    )
    return found[-1]


def test_money_and_payments_are_mailed_to_both_parties_in_their_language(
    system: NotifySystem, mailbox: Mailbox
) -> None:
    shop = system.sign_up(language="pt")
    payer = system.sign_up()
    as_shop, as_payer = system.token(shop["id"]), system.token(payer["id"])
    shop_account = system.account(shop["id"], as_shop)
    payer_account = system.account(payer["id"], as_payer, funds=10_000)
    received = system.send_mail(mailbox, payer["email"], "100.00 EUR")
    assert "You received 100.00 EUR" in received.subject and "Ada Lovelace" in received.text
    assert "/settings/notifications" in received.text  # how to turn it off

    payment = system.post(
        "/v1/payments",
        {
            "payer_account_id": payer_account,
            "payee_account_id": shop_account,
            "amount": 2_550,
            "description": "Pão",
            "merchant": "Padaria <b>Central</b>",
        },
        as_payer,
        201,
    )
    system.post(f"/v1/payments/{payment['id']}/capture", {}, as_shop)
    to_shop = system.send_mail(mailbox, shop["email"], "25.50 EUR")
    to_payer = system.send_mail(mailbox, payer["email"], "25.50 EUR")
    assert "Padaria <b>Central</b>" in to_shop.text  # plain text as written ...
    assert "Padaria &lt;b&gt;Central&lt;/b&gt;" in to_shop.html  # ... HTML escaped
    assert to_shop.subject != to_payer.subject  # Portuguese for the shop, English for the payer
    # The capture's credit to the shop is not mailed again as money received.
    kinds = [m["kind"] for m in _outbox(system, shop["id"])]
    assert kinds.count("payment_captured") == 1 and "money_received" not in kinds


def test_preferences_turn_off_optional_mail_but_never_security_mail(
    system: NotifySystem, mailbox: Mailbox
) -> None:
    user = system.sign_up()
    headers = system.token(user["id"])
    turned_off = system.write.put(
        f"/v1/users/{user['id']}/notification-preferences",
        json={"email": {"money_received": False}},
        headers=headers,
    )
    assert turned_off.status_code == 200, turned_off.text
    system.account(user["id"], headers, funds=500)
    _owed(system, user["id"], "money_received")
    wait_for(
        lambda: (
            system.notifier.mail_sender.run_once() == 0
            and _owed(system, user["id"], "money_received")["status"] == "skipped"
        ),
        30,
        what="the money mail skipped",
    )
    changed = system.write.post(
        f"/v1/users/{user['id']}/password",
        json={"current_password": PASSWORD, "new_password": "another quiet lighthouse"},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    mail = system.send_mail(mailbox, user["email"], "password was changed")
    assert "/settings/notifications" not in mail.text  # nothing to turn off
    assert not [m for m in mailbox.messages_to(user["email"]) if "5.00 EUR" in m.subject]


def test_the_sign_up_mail_verifies_the_address(system: NotifySystem, mailbox: Mailbox) -> None:
    user = system.sign_up()
    mail = system.send_mail(mailbox, user["email"], "Confirm your e-mail")
    token = _token(mail.text)
    assert token not in str(_outbox(system, user["id"]))  # the link is never stored
    verified = system.write.post("/v1/auth/verify-email", json={"token": token})
    assert verified.status_code == 200, verified.text
    events = system.notifier.store.read_stream(uuid.UUID(user["id"]))
    assert [e.type for e in events].count("UserEmailVerified") == 1


def test_a_reset_link_resets_the_password(system: NotifySystem, mailbox: Mailbox) -> None:
    user = system.sign_up()
    asked = system.write.post("/v1/auth/password-reset", json={"email": user["email"]})
    assert asked.status_code == 202
    mail = system.send_mail(mailbox, user["email"], "Reset your password")
    new_password = "a brand new lighthouse keeper"
    done = system.write.post(
        "/v1/auth/password-reset/confirm",
        json={"token": _token(mail.text), "password": new_password},
    )
    assert done.status_code in (200, 204), done.text
    login = system.write.post(
        "/v1/auth/login", json={"email": user["email"], "password": new_password}
    )
    assert login.status_code == 200, login.text


def test_a_login_from_a_new_device_is_mailed_and_a_known_one_is_not(
    system: NotifySystem, mailbox: Mailbox
) -> None:
    user = system.sign_up()
    credentials = {"email": user["email"], "password": PASSWORD}

    def log_in(agent: str) -> None:
        response = system.write.post(
            "/v1/auth/login", json=credentials, headers={"User-Agent": agent}
        )
        assert response.status_code == 200, response.text

    log_in("Laptop/1.0")  # the first login: the device the user signed up from
    log_in("Phone/2.0")
    log_in("Laptop/1.0")
    mail = system.send_mail(mailbox, user["email"], "New sign-in")
    assert "Phone/2.0" in mail.text
    wait_for(
        lambda: (
            system.notifier.mail_sender.run_once() == 0
            and len([m for m in _outbox(system, user["id"]) if m["kind"] == "new_device_login"])
            == 3
        ),
        30,
        what="every login handled",
    )
    statuses = sorted(
        str(m["status"]) for m in _outbox(system, user["id"]) if m["kind"] == "new_device_login"
    )
    assert statuses == ["sent", "skipped", "skipped"]
    assert len(mailbox.messages_to(user["email"])) == 2  # the sign-up mail and this one


def test_a_forgotten_user_gets_no_more_mail_and_no_address_is_kept(
    system: NotifySystem, mailbox: Mailbox
) -> None:
    user = system.sign_up()
    headers = system.token(user["id"])
    account = system.account(user["id"], headers)
    system.deposit(account, 700, headers)
    _owed(system, user["id"], "money_received")
    forgotten = system.write.delete(f"/v1/users/{user['id']}/personal-data", headers=headers)
    assert forgotten.status_code == 200, forgotten.text
    system.deposit(account, 800, headers)
    wait_for(
        lambda: len([m for m in _outbox(system, user["id"]) if m["kind"] == "money_received"]) == 2,
        30,
        what="the second deposit's mail owed",
    )
    system.notifier.mail_sender.run_once()
    assert all(m["status"] == "skipped" for m in _outbox(system, user["id"]))
    assert mailbox.messages_to(user["email"]) == []
    with system.notifier.store.connection() as conn:
        rows = conn.execute("SELECT * FROM mail_outbox WHERE user_id = %s", (user["id"],))
        assert user["email"] not in str(rows.fetchall())


def test_mail_waits_for_an_smtp_server_that_is_down(system: NotifySystem, mailbox: Mailbox) -> None:
    user = system.sign_up()
    _owed(system, user["id"], "verify_email")
    down = system.settings.model_copy(update={"smtp_port": 1})
    sender = MailSender(
        system.notifier.outbox,
        system.notifier.store,
        Mailer(down),
        system.notifier.mail_sender._links,
        clock=system.clock,
    )
    assert sender.run_once() == 1
    owed = _owed(system, user["id"], "verify_email")
    assert owed["status"] == "pending" and owed["attempts"] == 1
    assert str(owed["outcome"]).startswith("SMTP unavailable")
    assert system.notifier.mail_sender.run_once() == 0  # not due yet
    system.clock.advance(timedelta(seconds=11))
    system.send_mail(mailbox, user["email"], "Confirm your e-mail")
    assert _owed(system, user["id"], "verify_email")["status"] == "sent"
