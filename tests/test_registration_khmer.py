"""Registration in Khmer: the page, a field error and the confirmation mail."""

import pytest
from registration_helpers import SmtpSink, deliver, form, smtp_config
from world import make_event


@pytest.fixture
def khmer_app(make_app, smtp):
    built = make_app(**smtp_config(smtp))
    with built.app_context():
        yield built


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
    # Not by name: the address is not confirmed yet, so nothing typed is repeated.
    assert "ជម្រាបសួរ" in SmtpSink.text(mail) and "Dara" not in SmtpSink.text(mail)
