"""Registration in Khmer, with the branch's Khmer sidecar folded into the catalog for this
test only (the lead merges sidecars into translations/km/LC_MESSAGES/messages.po)."""

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from registration_helpers import ROOT, SmtpSink, deliver, form, make_event, smtp_config

import app.i18n
from app.extensions import babel

SIDECAR = ROOT / "translations" / "km" / "pending" / "registration.po"


@pytest.fixture
def khmer_app(make_app, smtp, tmp_path, monkeypatch):
    with (ROOT / "translations/km/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="km")
    with SIDECAR.open("rb") as f:
        for message in read_po(f, locale="km"):
            if message.id:
                catalog[message.id] = message
    target = tmp_path / "translations" / "km" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with (target / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    monkeypatch.setattr(app.i18n, "TRANSLATIONS", tmp_path / "translations")
    # Flask-Babel keeps loaded catalogs on the one Babel object every app shares: start
    # this app with an empty cache, and give the others theirs back afterwards.
    monkeypatch.setattr(babel.domain_instance, "cache", {})
    built = make_app(**smtp_config(smtp))
    with built.app_context():
        yield built


def test_every_sidecar_entry_is_translated():
    with SIDECAR.open("rb") as f:
        catalog = read_po(f, locale="km")
    empty = [m.id for m in catalog if m.id and not all(m.string if m.pluralizable else [m.string])]
    assert len(catalog) > 150 and empty == []


def test_register_in_khmer_page_errors_and_mail(khmer_app, smtp):
    make_event()
    client = khmer_app.test_client()
    page = client.get("/s/planning?lang=km").text
    assert "ចុះឈ្មោះ" in page and "បញ្ចូលទៅប្រតិទិន" in page
    assert "Add to calendar" not in page and "A pseudonym is fine." not in page
    bad = client.post("/s/planning/register", data=form(email="", language="km")).text
    assert "សូមបញ្ចូលអាសយដ្ឋានអ៊ីមែលរបស់អ្នក។" in bad
    client.post("/s/planning/register", data=form(language="km"))
    deliver()
    (mail,) = smtp.to("dara@example.org")
    assert mail["Subject"].startswith("សូមបញ្ជាក់ការចុះឈ្មោះរបស់អ្នក៖")
    assert "កិច្ចប្រជុំរៀបចំផែនការ" in mail["Subject"]
    assert "ជម្រាបសួរ Dara," in SmtpSink.text(mail)
