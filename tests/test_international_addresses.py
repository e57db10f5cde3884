"""Addresses with non-ASCII letters (ü@exämple.com) are accepted by the forms and really
delivered over SMTP: the domain in its ASCII (IDNA) form, a non-ASCII local part with
SMTPUTF8 where the server offers it. Where it does not, that one mail fails with a reason the
organizer can read; the others go out."""

import pytest
import sqlalchemy as sa
from registration_helpers import deliver, form, links, smtp_config
from support import SmtpSink, create_user
from world import login, make_event

from app.extensions import db
from app.models import OutboxMessage


@pytest.fixture
def utf8_smtp():
    sink = SmtpSink(smtputf8=True).start()
    yield sink
    sink.stop()


def register(client, email):
    response = client.post("/s/planning/register", data=form(email=email))
    assert response.status_code == 302


def outbox():
    db.session.expire_all()
    return {m.recipient: m for m in db.session.scalars(sa.select(OutboxMessage))}


def test_an_internationalized_domain_gets_its_mail_at_its_ascii_form(mail_app, smtp):
    make_event()
    register(mail_app.test_client(), "dara@exämple.com")
    deliver()
    assert smtp.envelopes == [(["dara@xn--exmple-cua.com"], False)]
    (mail,) = smtp.messages
    assert mail["To"] == "dara@xn--exmple-cua.com"
    assert links(mail, "confirm")
    assert outbox()["dara@exämple.com"].status == "sent"


def test_a_non_ascii_local_part_goes_out_with_smtputf8_where_offered(make_app, utf8_smtp):
    app = make_app(**smtp_config(utf8_smtp))
    with app.app_context():
        make_event()
        register(app.test_client(), "ü@exämple.com")
        deliver()
        assert utf8_smtp.envelopes == [(["ü@xn--exmple-cua.com"], True)]
        (mail,) = utf8_smtp.messages
        assert "ü@xn--exmple-cua.com" in str(mail["To"])
        assert links(mail, "confirm")
        assert outbox()["ü@exämple.com"].status == "sent"


def test_without_smtputf8_that_one_mail_fails_with_a_reason_the_organizer_reads(mail_app, smtp):
    make_event()
    client = mail_app.test_client()
    register(client, "ü@exämple.com")
    register(client, "dara@example.org")
    deliver()
    assert smtp.envelopes == [(["dara@example.org"], False)]
    messages = outbox()
    assert messages["dara@example.org"].status == "sent"
    assert messages["ü@exämple.com"].status == "failed"
    create_user("org@example.org", "admin")
    login(client, "org@example.org")
    page = client.get("/admin/outbox?status=failed&lang=fr").text
    assert FR_NO_SMTPUTF8 in page


FR_NO_SMTPUTF8 = (
    "Le serveur de messagerie n’accepte pas les adresses qui contiennent des lettres non ASCII "
    "avant le @ (il ne propose pas SMTPUTF8)."
)
