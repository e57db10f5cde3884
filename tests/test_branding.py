"""Branding from the organizer's page: names, colours checked for contrast, logo upload
(type, size, SVG served harmless), footer links (http/https only), privacy notice per
language with the built-in fallback, config defaults; and an instance template override."""

import io

import pytest
import sqlalchemy as sa
from support import Auth

from app.branding.colors import contrast
from app.extensions import db
from app.models import AuditEntry

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<rect width="10" height="10"/></svg>'
)


@pytest.fixture
def organizer(client, admin_user):
    Auth(client).login(admin_user.email)
    return client


def post(client, **fields):
    data = {"site_name": "", "organization_name": "", "contact_email": "", "accent": "", "ink": ""}
    data.update(fields)
    return client.post("/admin/branding", data=data, content_type="multipart/form-data")


def test_nothing_set_looks_as_configured(make_app):
    app = make_app(SITE_NAME="Config Site", ORGANIZATION_NAME="Config Org")
    client = app.test_client()
    with app.app_context():
        page = client.get("/").text
    assert "Config Site" in page and "Organized by Config Org." in page
    assert "branding.css" not in page and "/branding/logo" not in page


def test_organizers_only(client, moderator_user):
    assert client.get("/admin/branding").status_code == 302
    Auth(client).login(moderator_user.email)
    assert client.get("/admin/branding").status_code == 403
    assert post(client, site_name="Hijack").status_code == 403


def test_names_apply_to_every_page_and_are_audited(organizer, client):
    response = post(
        organizer,
        site_name="Partner Hall",
        organization_name="Partner NGO",
        contact_email="info@partner.example",
    )
    assert response.status_code == 302
    home = client.get("/").text
    assert "Partner Hall" in home and "Organized by Partner NGO." in home
    assert "<title>Partner Hall</title>" in home
    privacy = client.get("/privacy").text
    assert "info@partner.example" in privacy and "Partner NGO runs this site" in privacy
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "branding.edit"))
    assert set(entry.detail["changed"]) == {"site_name", "organization_name", "contact_email"}


def test_contrast_is_checked(organizer, client):
    assert contrast("#ffffff") == pytest.approx(1.0)
    assert contrast("#000000") == pytest.approx(21.0)
    response = post(organizer, accent="#f0c000", site_name="Kept name")
    assert response.status_code == 200
    assert "too light to read on white" in response.text and "4.5 to 1" in response.text
    assert 'value="Kept name"' in response.text
    assert "branding.css" not in client.get("/").text
    bad = post(organizer, ink="blue")
    assert "six hex digits" in bad.text
    assert post(organizer, accent="#0B5FFF", ink="#222").status_code == 302
    home = client.get("/").text
    assert 'href="/branding.css?v=' in home
    css = client.get("/branding.css")
    assert css.mimetype == "text/css"
    assert "--accent: #0b5fff;" in css.text and "--ink: #222222;" in css.text


@pytest.mark.parametrize(
    "data, name, message",
    [
        (b"GIF89a" + b"\x00" * 20, "logo.gif", "PNG, JPEG or SVG"),
        (b"<html><script>alert(1)</script></html>", "logo.svg", "PNG, JPEG or SVG"),
        (PNG + b"\x00" * 210_000, "big.png", "too large"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "x.svg",
            "scripts, links",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "x.svg", "scripts"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">'
            b'<a x:href="https://evil.example/">x</a></svg>',
            "x.svg",
            "scripts",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg/>', "x.svg", "scripts"),
        (b"<svg><unclosed", "x.svg", "could not be read"),
    ],
)
def test_bad_logos_are_refused(organizer, data, name, message):
    response = post(organizer, logo=(io.BytesIO(data), name))
    assert response.status_code == 200
    assert message in response.text
    assert 'id="logo-error"' in response.text


@pytest.mark.parametrize(
    "data, name, mimetype",
    [(PNG, "a.png", "image/png"), (JPEG, "a.jpg", "image/jpeg"), (SVG, "a.svg", "image/svg+xml")],
)
def test_a_logo_is_stored_in_the_instance_and_served_from_our_origin(
    organizer, client, app, data, name, mimetype
):
    assert post(organizer, logo=(io.BytesIO(data), name)).status_code == 302
    home = client.get("/").text
    assert '<img class="site-logo" src="/branding/logo?v=1"' in home
    logo = client.get("/branding/logo?v=1")
    assert logo.status_code == 200 and logo.mimetype == mimetype and logo.data == data
    if mimetype == "image/svg+xml":
        assert "script-src 'none'" in logo.headers["Content-Security-Policy"]
        assert "sandbox" in logo.headers["Content-Security-Policy"]
    post(organizer, remove_logo="y")
    assert client.get("/branding/logo").status_code == 404
    assert "/branding/logo" not in client.get("/").text


def test_footer_links_per_language_http_only(organizer, client):
    bad = post(
        organizer,
        **{
            "link-0-en": "Home",
            "link-0-km": "",
            "link-0-url": "javascript:alert(1)",
            "link-1-en": "",
            "link-1-km": "",
            "link-1-url": "https://ok.example",
            "link-2-en": "x",
            "link-2-km": "",
            "link-2-url": "ftp://files.example",
        },
    )
    assert bad.status_code == 200
    assert bad.text.count("Only web addresses starting with http:// or https://") == 2
    assert "Please give the link a label" in bad.text
    assert 'value="javascript:alert(1)"' in bad.text  # kept to correct
    good = post(
        organizer,
        **{
            "link-0-en": "Our website",
            "link-0-km": "គេហទំព័ររបស់យើង",
            "link-0-url": "https://partner.example/",
            "link-1-en": "Donate",
            "link-1-km": "",
            "link-1-url": "http://partner.example/give",
        },
    )
    assert good.status_code == 302
    english = client.get("/?lang=en").text
    assert '<a href="https://partner.example/" rel="noopener">Our website</a>' in english
    khmer = client.get("/?lang=km").text
    assert "គេហទំព័ររបស់យើង" in khmer
    assert "Donate" in khmer  # no Khmer label: the default language's


def test_privacy_notice_per_language_with_the_built_in_fallback(organizer, client):
    post(organizer, privacy_km="យើងការពារទិន្នន័យរបស់អ្នក។\n\nកថាខណ្ឌទីពីរ។", privacy_en="")
    khmer = client.get("/privacy?lang=km").text
    assert "<p>យើងការពារទិន្នន័យរបស់អ្នក។</p>" in khmer
    english = client.get("/privacy?lang=en").text
    assert "យើងការពារ" not in english
    assert "Who else receives your data" in english  # the generated notice


def test_an_instance_template_overrides_sala_s_own(make_app, isolated_instance):
    folder = isolated_instance / "templates" / "public"
    folder.mkdir(parents=True)
    (folder / "privacy.html").write_text(
        '{% extends "base.html" %}{% block content %}<h1>Our own privacy page</h1>{% endblock %}'
    )
    app = make_app()
    with app.app_context():
        page = app.test_client().get("/privacy").text
    assert "Our own privacy page" in page and "Who else receives your data" not in page


def test_mails_carry_the_organizer_s_site_name(organizer, client):
    from registration_helpers import form
    from world import make_event

    from app.models import OutboxMessage

    post(organizer, site_name="Partner Hall")
    event = make_event()
    client.post(f"/s/{event.slug}/register", data=form(email="reader@example.org"))
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.recipient == "reader@example.org")
    )
    assert message is not None and "Partner Hall" in message.body_text
