"""Choosing a language, formatting in it, adding one, and the translation tooling."""

import shutil
from datetime import datetime

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from registration_helpers import form
from support import ROOT
from world import make_event

from app import i18n, translate
from app.extensions import db
from app.models import LinkToken, Registration, utcnow
from app.templating import local_time

# Runs in tests/test_core_alone.py too: these need no bundled plugin.
pytestmark = pytest.mark.core_alone


@pytest.fixture
def event(app):
    event = make_event()
    event.set_text("fr", title="Séance de planification")
    db.session.commit()
    return event


def lang_of(response):
    html = response.get_data(as_text=True)
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_explicit_choice_wins_over_the_browser_and_is_remembered(client, event):
    headers = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
    assert lang_of(client.get("/s/planning", headers=headers)) == "fr"
    assert "Séance de planification" in client.get("/s/planning", headers=headers).text
    assert lang_of(client.get("/s/planning?lang=km", headers=headers)) == "km"
    # Remembered on the next pages, without ?lang=, whatever the browser says.
    assert lang_of(client.get("/privacy", headers=headers)) == "km"
    assert lang_of(client.get("/", headers=headers)) == "km"
    # An unknown code changes nothing.
    assert lang_of(client.get("/?lang=xx", headers=headers)) == "km"


def test_the_browser_language_then_the_site_default(make_app):
    app = make_app(BABEL_DEFAULT_LOCALE="en")
    client = app.test_client()
    assert lang_of(client.get("/", headers={"Accept-Language": "km-KH"})) == "km"
    assert lang_of(app.test_client().get("/", headers={"Accept-Language": "de, ja"})) == "en"
    assert lang_of(app.test_client().get("/")) == "en"
    french = make_app(BABEL_DEFAULT_LOCALE="fr")
    assert lang_of(french.test_client().get("/", headers={"Accept-Language": "de"})) == "fr"


def test_a_registrants_saved_language_on_their_own_pages(app, client, event):
    registration = Registration(
        event=event,
        email="sok@example.org",
        email_key="sok@example.org",
        name="Sok",
        language="km",
        status="confirmed",
        confirmed_at=utcnow(),
    )
    db.session.add(registration)
    db.session.flush()
    _row, raw = LinkToken.issue("manage", registration)
    db.session.commit()
    browser_fr = {"Accept-Language": "fr"}
    # Their language beats the browser's on their page...
    assert lang_of(client.get(f"/r/manage/{raw}", headers=browser_fr)) == "km"
    # ...but not elsewhere...
    assert lang_of(client.get("/privacy", headers=browser_fr)) == "fr"
    # ...and an explicit choice beats it, even on their page.
    client.get("/?lang=en")
    assert lang_of(client.get(f"/r/manage/{raw}", headers=browser_fr)) == "en"


def test_every_mail_goes_in_the_recipients_language_whatever_the_page(app, client, event):
    """A French visitor registers someone who wants Khmer mail: the mail is Khmer."""
    client.post(
        "/s/planning/register?lang=fr",
        data=form(email="k@example.org", language="km"),
    )
    from app.models import OutboxMessage

    message = db.session.query(OutboxMessage).filter_by(recipient="k@example.org").one()
    assert message.language == "km"
    assert "សូមបញ្ជាក់" in message.body_text and "Veuillez" not in message.body_text
    client.post(
        "/s/planning/register?lang=km",
        data=form(email="f@example.org", language="fr"),
    )
    french = db.session.query(OutboxMessage).filter_by(recipient="f@example.org").one()
    assert "Confirmez votre inscription" in french.subject
    assert 'lang="fr"' in french.body_html


def test_dates_and_plurals_follow_the_readers_language(app):
    when = datetime(2023, 11, 1, 13, 0)  # UTC
    assert local_time(when, "Asia/Phnom_Penh", locale="fr").startswith("mercredi 1 novembre 2023")
    assert "20:00" in local_time(when, "Asia/Phnom_Penh", locale="fr")
    assert "វិច្ឆិកា" in local_time(when, "Asia/Phnom_Penh", locale="km")
    assert "8:00" in local_time(when, "Asia/Phnom_Penh", locale="en")
    from flask_babel import force_locale, ngettext

    with app.test_request_context(), force_locale("fr"):
        one = ngettext("%(num)d idea", "%(num)d ideas", 1)
        zero = ngettext("%(num)d idea", "%(num)d ideas", 0)
        many = ngettext("%(num)d idea", "%(num)d ideas", 2)
    assert (one, zero, many) == ("1 idée", "0 idée", "2 idées")  # French: 0 is singular


def test_the_session_page_in_french_formats_its_time_in_french(client, event):
    page = client.get("/s/planning?lang=fr").get_data(as_text=True)
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août"]
    months += ["septembre", "octobre", "novembre", "décembre"]
    assert any(month in page for month in months)
    assert "S’inscrire" in page or "S&#39;inscrire" in page or "S’inscrire" in page


# ---------------------------------------------------------------- adding a language


@pytest.fixture
def with_german(tmp_path, monkeypatch):
    """A copy of the project's catalogs plus a German one with a single message, as a
    partner would add it."""
    directory = tmp_path / "translations"
    shutil.copytree(ROOT / "translations", directory, ignore=shutil.ignore_patterns("*.pot"))
    catalog = Catalog(locale="de")
    catalog.add("Add to calendar", "Zum Kalender hinzufügen")
    (directory / "de" / "LC_MESSAGES").mkdir(parents=True)
    with (directory / "de" / "LC_MESSAGES" / "messages.mo").open("wb") as f:
        write_mo(f, catalog)
    monkeypatch.setattr(i18n, "TRANSLATIONS", directory)
    return directory


def test_a_partner_adds_a_language_by_adding_a_catalog(make_app, with_german):
    from app.demo import SLUG, load_demo

    app = make_app(LANGUAGES=["en", "km", "fr", "de"])
    with app.app_context():
        load_demo()
    client = app.test_client()
    page = client.get(f"/s/{SLUG}", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de">' in page
    assert "Zum Kalender hinzufügen" in page
    assert "Dezember" in page or "Januar" in page or "November" in page or "Februar" in page
    # The switcher offers it, by its own name; untranslated messages fall back to English.
    assert 'hreflang="de"' in page and ">Deutsch</a>" in page
    assert "Privacy" in page  # not in the German catalog: English
    # Without it in LANGUAGES, the catalog is not offered.
    plain = make_app()
    other = plain.test_client().get("/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="en">' in other and 'hreflang="de"' not in other


# ---------------------------------------------------------------- tooling


def test_translate_tooling_on_a_small_project(tmp_path):
    """extract, init, update and compile, on a project of one file: a new message arrives
    untranslated, `update --check` notices a catalog behind the code, compile writes .mo."""
    (tmp_path / "app").mkdir()
    (tmp_path / "babel.cfg").write_text("[python: app/**.py]\n")
    source = tmp_path / "app" / "views.py"
    source.write_text('_("Hello")\n')
    pot = tmp_path / "translations" / "messages.pot"
    pot.parent.mkdir()
    directory = pot.parent
    assert translate.extract(pot, tmp_path) == 0
    assert translate.init("de", pot, directory) == 0
    po = directory / "de" / "LC_MESSAGES" / "messages.po"
    assert po.exists() and 'msgid "Hello"' in po.read_text()
    assert translate.update(pot, directory, check=True) == 0  # up to date
    source.write_text('_("Hello")\n_("Goodbye")\n')
    assert translate.extract(pot, tmp_path) == 0
    assert translate.update(pot, directory, check=True) != 0  # behind the code
    assert translate.behind(pot, directory) == {"de": ["Goodbye"]}
    assert 'msgid "Goodbye"' not in po.read_text()  # --check changes nothing
    assert translate.update(pot, directory) == 0
    with po.open("rb") as f:
        catalog = read_po(f)
    assert catalog.get("Goodbye") is not None and not catalog.get("Goodbye").string
    assert "app/views.py" in po.read_text()  # paths relative to the project
    text = po.read_text().replace('msgid "Hello"\nmsgstr ""', 'msgid "Hello"\nmsgstr "Hallo"')
    po.write_text(text.replace("#, fuzzy\n", "", 1))
    assert translate.compile_catalogs(directory) == 0
    assert (directory / "de" / "LC_MESSAGES" / "messages.mo").exists()
    assert translate.catalogs(directory) == {"de": po}


def test_the_project_catalogs_are_up_to_date_with_the_code(app, runner):
    result = runner.invoke(args=["translate", "update", "--check"])
    assert result.exit_code == 0, result.output
    assert "fr, km" in result.output
