"""Speakers and co-organizing organizations (issue 16 §1): the organizer adds, edits,
reorders (with and without htmx) and removes them; photos and logos are re-encoded with
their metadata gone and hostile files refused next to the field; they show on the session
page (with the visible fallback in Khmer), in the .ics, in the join-details and reminder
mails (real SMTP) and on the printable Plan of Action."""

import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from registration_helpers import (
    SmtpSink,
    deliver,
    form,
    links,
    mails_to,
    path_of,
    smtp_config,
)
from support import Auth, create_user
from world import make_event

from app.extensions import db
from app.models import Event, Registration, utcnow
from app.speakers import pictures
from app.speakers.models import Partner, Speaker

GPS_TAG = 0x8825


def picture(fmt="JPEG", size=(1200, 900), gps=False, color=(120, 30, 30)):
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    extra = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # camera make
        exif.get_ifd(GPS_TAG).update({1: "N", 2: (11.0, 33.0, 0.0), 3: "E", 4: (104.0, 55.0, 0.0)})
        extra["exif"] = exif.tobytes()
    image.save(out, fmt, **extra)
    return out.getvalue()


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


@pytest.fixture
def organizer(app, client):
    user = create_user("organizer@example.org", "admin")
    Auth(client).login(user.email)
    return client


@pytest.fixture
def event(app):
    return make_event()


def speaker_data(**fields):
    data = {
        "name_en": "Dr. Sophea Lim",
        "role_en": "Professor of law",
        "affiliation_en": "University of Example",
        "bio_en": "Writes on elections in Southeast Asia.",
        "name_km": "",
        "role_km": "",
        "affiliation_km": "",
        "bio_km": "",
        "link": "",
    }
    data.update(fields)
    return data


def add_speaker(client, event, photo=None, **fields):
    data = speaker_data(**fields)
    if photo is not None:
        data["photo"] = (io.BytesIO(photo[1]), photo[0])
    return client.post(
        f"/admin/events/{event.id}/speaker/new", data=data, content_type="multipart/form-data"
    )


def add_partner(client, event, name, logo=None, **fields):
    data = {"name_en": name, "name_km": "", "link": "", **fields}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo[1]), logo[0])
    return client.post(
        f"/admin/events/{event.id}/partner/new", data=data, content_type="multipart/form-data"
    )


def speakers(event):
    return db.session.scalars(
        sa.select(Speaker).where(Speaker.event_id == event.id).order_by(Speaker.position)
    ).all()


def names_in_order(page, *names):
    at = [page.index(name) for name in names]
    return at == sorted(at)


# ---------------------------------------------------------------- organizer pages


def test_organizers_only(client, event, app):
    moderator = create_user("moderator@example.org", "moderator")
    assert client.get(f"/admin/events/{event.id}/speakers").status_code == 302
    Auth(client).login(moderator.email)
    assert client.get(f"/admin/events/{event.id}/speakers").status_code == 403
    assert add_speaker(client, event).status_code == 403
    assert speakers(event) == []


def test_add_reorder_without_javascript_and_remove(organizer, event):
    assert add_speaker(organizer, event).status_code == 302
    add_speaker(organizer, event, name_en="Ms. Dara Chan", role_en="Moderator", is_moderator="y")
    page = organizer.get(f"/admin/events/{event.id}/speakers").text
    assert names_in_order(page, "Dr. Sophea Lim", "Ms. Dara Chan")
    second = speakers(event)[1]
    moved = organizer.post(
        f"/admin/events/{event.id}/speaker/{second.id}/move", data={"direction": "up"}
    )
    assert moved.status_code == 302
    public = organizer.get("/s/planning").text
    assert names_in_order(public, "Ms. Dara Chan", "Dr. Sophea Lim")
    assert "Moderator" in public
    first = speakers(event)[0]
    organizer.post(f"/admin/events/{event.id}/speaker/{first.id}/remove")
    assert [s.text("name", "en") for s in speakers(event)] == ["Dr. Sophea Lim"]
    assert "Ms. Dara Chan" not in organizer.get("/s/planning").text


def test_reorder_with_htmx_answers_the_list_alone(organizer, event):
    add_speaker(organizer, event)
    add_speaker(organizer, event, name_en="Ms. Dara Chan")
    first = speakers(event)[0]
    answer = organizer.post(
        f"/admin/events/{event.id}/speaker/{first.id}/move",
        data={"direction": "down"},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200 and "HX-Request" in answer.headers["Vary"]
    assert "<html" not in answer.text and 'id="speaker-lists"' in answer.text
    assert names_in_order(answer.text, "Ms. Dara Chan", "Dr. Sophea Lim")


def test_a_name_is_needed_and_links_are_web_addresses(organizer, event):
    answer = add_speaker(organizer, event, name_en="", link="javascript:alert(1)")
    assert answer.status_code == 200
    assert "Please enter the name in at least one language." in answer.text
    assert "Only web addresses starting with http:// or https:// are allowed." in answer.text
    assert "Professor of law" in answer.text  # the form is kept
    assert speakers(event) == []


def test_too_long_texts_are_refused_next_to_the_field(organizer, event):
    answer = add_speaker(organizer, event, bio_en="x" * 2001)
    assert answer.status_code == 200 and "At most 2000 characters, please." in answer.text
    assert speakers(event) == []


def test_messages_in_khmer(organizer, event):
    answer = organizer.post(
        f"/admin/events/{event.id}/speaker/new?lang=km",
        data=speaker_data(name_en="", link="ftp://example.org"),
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    assert "សូមបញ្ចូលឈ្មោះ យ៉ាងហោចណាស់ជាភាសាមួយ។" in answer.text
    assert "Please enter the name" not in answer.text
    refused = organizer.post(
        f"/admin/events/{event.id}/speaker/new?lang=km",
        data={**speaker_data(), "photo": (io.BytesIO(SVG), "x.svg")},
        content_type="multipart/form-data",
    )
    assert "ឯកសារនេះមិនមែនជារូបភាពដែលយើងអាចអានបានទេ" in refused.text
    assert speakers(event) == []


# ---------------------------------------------------------------- pictures


def test_a_photo_is_reencoded_shrunk_and_loses_its_gps_metadata(organizer, event, app):
    original = picture(gps=True, size=(2000, 1500))
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_TAG)  # the test's premise
    assert add_speaker(organizer, event, photo=("me.jpg", original)).status_code == 302
    speaker = speakers(event)[0]
    url = f"/speakers/{event.id}/{speaker.photo}"
    assert url in organizer.get("/s/planning").text
    served = organizer.get(url)
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    image = Image.open(io.BytesIO(served.data))
    assert max(image.size) <= 480
    assert not image.getexif() and b"PhoneMaker" not in served.data
    assert not image.getexif().get_ifd(GPS_TAG)


def test_replacing_and_removing_a_photo_deletes_the_old_file(organizer, event):
    add_speaker(organizer, event, photo=("a.png", picture("PNG")))
    speaker = speakers(event)[0]
    old = pictures.folder(event.id) / speaker.photo
    assert old.is_file()
    organizer.post(
        f"/admin/events/{event.id}/speaker/{speaker.id}",
        data={**speaker_data(), "photo": (io.BytesIO(picture("WEBP")), "b.webp")},
        content_type="multipart/form-data",
    )
    db.session.refresh(speaker)
    assert not old.exists() and (pictures.folder(event.id) / speaker.photo).is_file()
    newer = pictures.folder(event.id) / speaker.photo
    organizer.post(f"/admin/events/{event.id}/speaker/{speaker.id}/remove")
    assert not newer.exists()


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("logo.svg", SVG, "This file is not a picture we can read"),
        ("me.jpg", b"%PDF-1.4 not a picture at all", "This file is not a picture we can read"),
        ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024 + 10), "at most 5 MB"),
        ("cut.png", picture("PNG")[:200], "This file is not a picture we can read"),
        ("anim.gif", picture("GIF"), "Please upload a JPEG, PNG or WebP picture."),
    ],
)
def test_hostile_files_are_refused_next_to_the_field(organizer, event, name, data, message):
    answer = add_speaker(organizer, event, photo=(name, data))
    assert answer.status_code == 200
    error = re.search(r'id="photo-error">(.*?)</div>', answer.text, re.S)
    assert error and message in error.group(1)
    assert "Dr. Sophea Lim" in answer.text  # what was typed is kept
    assert speakers(event) == []
    assert not pictures.folder(event.id).exists() or not any(pictures.folder(event.id).iterdir())


def test_a_decompression_bomb_is_refused(organizer, event):
    # 10,000 × 10,000 pixels of one colour: a small file, 100 million pixels decoded.
    bomb = picture("PNG", size=(10_000, 10_000), color=(0, 0, 0))
    assert len(bomb) < 5 * 1024 * 1024
    answer = add_speaker(organizer, event, photo=("bomb.png", bomb))
    assert answer.status_code == 200 and "too many pixels" in answer.text
    assert speakers(event) == []


def test_picture_route_serves_only_our_own_file_names(client, event):
    assert client.get(f"/speakers/{event.id}/..%2Fsecret_key").status_code == 404
    assert client.get(f"/speakers/{event.id}/photo-0000000000000000.jpg").status_code == 404


# ---------------------------------------------------------------- where they show


def test_session_page_in_khmer_shows_the_fallback_visibly(organizer, event):
    add_speaker(organizer, event, name_km="បណ្ឌិត សុភា លីម", role_km="សាស្ត្រាចារ្យច្បាប់")
    add_partner(organizer, event, "Human Rights Example", logo=("l.png", picture("PNG")))
    add_partner(organizer, event, "Democracy Example Network", link="https://dem.example.org")
    english = organizer.get("/s/planning").text
    assert "Together with:" in english
    assert names_in_order(english, "Human Rights Example", "Democracy Example Network")
    assert 'href="https://dem.example.org"' in english
    khmer = organizer.get("/s/planning?lang=km").text
    assert "បណ្ឌិត សុភា លីម" in khmer and "សាស្ត្រាចារ្យច្បាប់" in khmer
    # The bio has no Khmer yet: shown in English, marked, and said so in Khmer.
    assert '<p class="" lang="en">Writes on elections in Southeast Asia.</p>' in khmer
    assert "Not yet translated" not in khmer and "untranslated-note" in khmer
    # The free-text speakers paragraph gives way to the structured list.
    assert "Dr. Expert" not in english


def test_public_calendar_file_lists_speakers_and_partners(organizer, event, client):
    add_speaker(organizer, event, is_moderator="y")
    add_partner(organizer, event, "Human Rights Example")
    calendar = client.get("/s/planning/calendar.ics").data.decode()
    unfolded = calendar.replace("\r\n ", "")
    assert "Presented by:" in unfolded
    assert "Dr. Sophea Lim\\, Professor of law\\, University of Example (moderator)" in unfolded
    assert "Together with: Human Rights Example" in unfolded


def test_printable_plan_says_presented_by(organizer, event):
    add_speaker(organizer, event)
    add_speaker(organizer, event, name_en="Ms. Dara Chan", role_en="", affiliation_en="")
    event.state = "concluded"
    db.session.commit()
    preview = organizer.get(f"/admin/events/{event.id}/plan/preview")
    assert preview.status_code == 200
    assert (
        "Presented by Dr. Sophea Lim, Professor of law, University of Example and Ms. Dara Chan."
        in preview.text
    )


# ---------------------------------------------------------------- mail (real SMTP)


@pytest.fixture
def mail_app(make_app, smtp):
    app = make_app(**smtp_config(smtp))
    with app.app_context():
        yield app


def test_join_details_and_reminder_mails_name_the_speakers_in_the_recipients_language(
    mail_app, smtp
):
    client = mail_app.test_client()
    event = make_event()
    event.speaker_rows.append(
        Speaker(
            position=0,
            texts={
                "en": {"name": "Dr. Sophea Lim", "role": "Professor of law"},
                "km": {"name": "បណ្ឌិត សុភា លីម", "role": "សាស្ត្រាចារ្យច្បាប់"},
            },
        )
    )
    event.partner_rows.append(Partner(position=0, texts={"en": {"name": "Rights Example"}}))
    db.session.commit()
    client.post("/s/planning/register", data=form(email="sok@example.org", language="km"))
    deliver()
    confirm = links(mails_to(smtp, "sok@example.org")[-1], "confirm")[0]
    client.post(path_of(confirm))
    deliver()
    reg = db.session.scalar(sa.select(Registration))
    join = [
        m
        for m in smtp.to("sok@example.org")
        if "ics" in str([p.get_filename() for p in m.iter_attachments()])
    ]
    assert len(join) == 1
    text = SmtpSink.text(join[0])
    assert "បណ្ឌិត សុភា លីម, សាស្ត្រាចារ្យច្បាប់" in text and "Rights Example" in text
    assert "Dr. Sophea Lim" not in text
    assert "បណ្ឌិត សុភា លីម" in SmtpSink.html(join[0])
    reg.confirmed_at = utcnow() - timedelta(days=3)
    event.starts_at = utcnow() + timedelta(hours=20)
    db.session.commit()
    deliver()
    deliver()
    reminders = [m for m in smtp.to("sok@example.org") if m not in join][-1:]
    assert reminders and "បណ្ឌិត សុភា លីម" in SmtpSink.text(reminders[0])


def test_a_new_speaker_shows_at_once_on_the_cached_session_page(make_app):
    app = make_app(PAGE_CACHE_SECONDS=60)
    with app.app_context():
        event = make_event()
        visitor = app.test_client()
        assert "Dr. Sophea Lim" not in visitor.get("/s/planning").text  # now kept in the cache
        event.speaker_rows.append(Speaker(position=0, texts={"en": {"name": "Dr. Sophea Lim"}}))
        db.session.commit()
        assert "Dr. Sophea Lim" in visitor.get("/s/planning").text
        event.partner_rows.append(Partner(position=0, texts={"en": {"name": "Rights Example"}}))
        db.session.commit()
        assert "Rights Example" in visitor.get("/s/planning").text
        # An edit that touches only the speaker's row, not the session's.
        speaker = db.session.scalar(sa.select(Speaker))
        speaker.texts = {"en": {"name": "Dr. Sophea Lim-Chan"}}
        db.session.commit()
        assert "Dr. Sophea Lim-Chan" in visitor.get("/s/planning").text


def test_deleting_a_session_deletes_its_pictures(organizer, event):
    add_speaker(organizer, event, photo=("a.png", picture("PNG")))
    add_partner(organizer, event, "Rights Example", logo=("l.png", picture("PNG")))
    folder = pictures.folder(event.id)
    assert len(list(folder.iterdir())) == 2
    db.session.delete(event)
    db.session.commit()
    assert not folder.exists()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Speaker)) == 0


def test_a_duplicated_session_keeps_its_speakers_with_their_own_pictures(organizer, event):
    add_speaker(organizer, event, photo=("a.png", picture("PNG")), is_moderator="y")
    add_partner(organizer, event, "Rights Example", logo=("l.png", picture("PNG")))
    response = organizer.post(
        f"/admin/events/{event.id}/duplicate",
        data={"slug": "planning-next", "dates": "shift", "shift_days": "364"},
    )
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "planning-next"))
    speaker, original = copy.speaker_rows[0], event.speaker_rows[0]
    assert speaker.texts == original.texts and speaker.is_moderator
    assert speaker.id != original.id and speaker.photo != original.photo
    assert [p.text("name", "en") for p in copy.partner_rows] == ["Rights Example"]
    # Removing it from the copy leaves the original's photo in place.
    organizer.post(f"/admin/events/{copy.id}/speaker/{speaker.id}/remove")
    assert (pictures.folder(event.id) / original.photo).is_file()
    assert organizer.get(f"/speakers/{event.id}/{original.photo}").status_code == 200


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(max_size=300), link=st.text(max_size=60))
def test_any_text_in_any_field_is_never_a_500(organizer, event, text, link):
    fields = {name: text for name in speaker_data() if name != "link"}
    answer = add_speaker(organizer, event, link=link, **fields)
    assert answer.status_code in (200, 302)
    if answer.status_code == 200:
        assert 'class="error"' in answer.text


# ---------------------------------------------------------------- the speaker's address


def test_a_speakers_address_is_for_organizers_only_and_goes_with_the_purge(
    organizer, event, client
):
    from app.registration.purge import purge

    refused = add_speaker(organizer, event, email="not an address", mail_language="km")
    assert refused.status_code == 200
    assert "This does not look like an email address. Please check it." in refused.text
    assert "Professor of law" in refused.text  # the form is kept
    assert speakers(event) == []

    assert (
        add_speaker(organizer, event, email="sophea@example.org", mail_language="km").status_code
        == 302
    )
    speaker = speakers(event)[0]
    assert (speaker.email, speaker.mail_language_or_default()) == ("sophea@example.org", "km")
    edit_page = organizer.get(f"/admin/events/{event.id}/speaker/{speaker.id}").text
    assert 'value="sophea@example.org"' in edit_page
    for public in ("/s/planning", "/s/planning?lang=km", "/s/planning/calendar.ics"):
        answer = organizer.get(public)
        assert "sophea@example.org" not in answer.text
    assert "Dr. Sophea Lim" in organizer.get("/s/planning").text

    event.state = "concluded"
    db.session.commit()
    purge(event, force=True)
    db.session.commit()
    db.session.refresh(speaker)
    assert speaker.email == ""
    assert speaker.text("name", "en") == "Dr. Sophea Lim"  # public texts stay
