"""Translations that need review (issue 16 §3): when the session's default-language text
changes after a translation was saved, the organizer sees "needs review" beside that
language's field, and on the session's page, until the translation is saved changed or
marked reviewed; the public page keeps the last translation. For the session's texts, its
themes, speakers and partners, and the Plan of Action (autosave with htmx too); a duplicated
session keeps what each translation was made from."""

import re
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
from support import Auth
from world import CONCLUDED, make_event

from app import review
from app.extensions import db
from app.models import Event, Plan, PlanItem, PlanSection, TextReview, Theme
from app.speakers.models import Speaker

HX = {"HX-Request": "true"}


@pytest.fixture
def organizer(client, admin_user):
    Auth(client).login(admin_user.email)
    return client


class FormReader(HTMLParser):
    """The values a browser would post from the first post form of class `wanted`."""

    def __init__(self, wanted):
        super().__init__()
        self.wanted = wanted
        self.data, self.inside, self.done = {}, False, False
        self.textarea = self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "form" and a.get("method") == "post" and self.wanted in classes and not self.done:
            self.inside = True
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[a["name"]] = a.get("value", "y")
            elif kind not in ("submit", "file"):
                self.data[a["name"]] = a.get("value") or ""
        elif tag == "textarea":
            self.textarea = a["name"]
            self.data[self.textarea] = ""
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.data[self.select] = a.get("value", "")

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self.textarea:
                self.data[self.textarea] = self.data[self.textarea].lstrip("\n")
            self.textarea = None
        elif tag == "select":
            self.select = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_on(client, url, wanted="form"):
    reader = FormReader(wanted)
    reader.feed(client.get(url).get_data(as_text=True))
    return reader.data


def save_session(client, event, **changes):
    url = f"/admin/events/{event.id}/edit"
    data = form_on(client, url)
    data.update(changes)
    response = client.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    db.session.expire_all()


def review_note(html, box_id):
    return re.search(rf'<p class="needs-review" id="{box_id}-note">', html) is not None


def test_changing_the_default_text_marks_the_translation_until_it_is_saved_again(
    app, organizer, client
):
    event = make_event(
        texts={"en": {"title": "Planning", "summary": "Old"}, "km": {"title": "ផែនការ"}}
    )
    save_session(organizer, event, summary_km="ចាស់")  # the translation, made from "Old"
    edit = organizer.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert "needs review" not in edit

    save_session(organizer, event, summary_en="New and longer")
    edit = organizer.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert review_note(edit, "review-event-summary-km")
    assert not review_note(edit, "review-event-title-km")  # its source did not change
    page = organizer.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "Translations that need review" in page
    assert "Khmer, 1 text needs review" in page
    khmer = organizer.get(f"/admin/events/{event.id}?lang=km").get_data(as_text=True)
    assert "ត្រូវពិនិត្យឡើងវិញ" in khmer
    # The public page keeps the last translation.
    public = client.get(f"/s/{event.slug}?lang=km").get_data(as_text=True)
    assert "ចាស់" in public

    # Saving the form again without touching the translation keeps the mark...
    save_session(organizer, event)
    assert ("summary", "km") in review.stale("event", db.session.get(Event, event.id))
    # ...saving the translation changed ends it.
    save_session(organizer, event, summary_km="ថ្មី")
    assert review.stale("event", db.session.get(Event, event.id)) == set()
    page = organizer.get(f"/admin/events/{event.id}?lang=en").get_data(as_text=True)
    assert "Translations that need review" not in page


def test_marking_reviewed_ends_the_mark_without_changing_the_translation(app, organizer):
    event = make_event(texts={"en": {"title": "Planning"}, "km": {"title": "ផែនការ"}})
    save_session(organizer, event, title_en="Planning together")
    assert review.stale("event", db.session.get(Event, event.id)) == {("title", "km")}
    save_session(organizer, event, reviewed="title:km")
    event = db.session.get(Event, event.id)
    assert review.stale("event", event) == set() and event.texts["km"]["title"] == "ផែនការ"


def test_a_theme_name_changed_in_the_default_language_is_marked_in_its_row(app, organizer):
    event = make_event(texts={"en": {"title": "Planning"}})
    event.themes = [Theme(labels={"en": "Elections", "km": "ការបោះឆ្នោត"}, position=0)]
    db.session.commit()
    theme = event.themes[0]
    save_session(organizer, event, **{f"theme-{theme.id}-en": "Free elections"})
    edit = organizer.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert review_note(edit, f"theme-{theme.id}-review-label-km")
    save_session(organizer, event, **{f"theme-{theme.id}-reviewed": "label:km"})
    assert review.stale("theme", db.session.get(Theme, theme.id)) == set()


def test_a_speakers_biography_changed_in_english_marks_the_khmer_one(app, organizer):
    event = make_event(texts={"en": {"title": "Planning"}})
    speaker = Speaker(
        event=event,
        texts={
            "en": {"name": "Dr. Chea", "bio": "Lawyer."},
            "km": {"name": "បណ្ឌិត ជា", "bio": "មេធាវី។"},
        },
    )
    db.session.add(speaker)
    db.session.commit()
    url = f"/admin/events/{event.id}/speaker/{speaker.id}"
    data = form_on(organizer, url)
    assert organizer.post(url, data=data).status_code == 302  # first save: the baseline
    data["bio_en"] = "Lawyer and former judge."
    assert organizer.post(url, data=data).status_code == 302
    html = organizer.get(url).get_data(as_text=True)
    assert review_note(html, "review-speaker-bio-km")
    assert not review_note(html, "review-speaker-name-km")
    page = organizer.get(f"/admin/events/{event.id}").get_data(as_text=True)
    assert "Speaker: Dr. Chea" in page


def test_records_made_before_this_existed_start_from_the_text_before_the_first_change(app):
    """A translation saved before Sala kept records: the first change of the default
    text marks it (its record starts from the text as it was before that change)."""
    event = make_event(texts={"en": {"title": "Old"}, "km": {"title": "ចាស់"}})
    before = review.texts_of("event", event)
    event.set_text("en", title="New")
    review.record("event", event, before)
    assert review.stale("event", event) == {("title", "km")}
    # An emptied translation has nothing to review.
    before = review.texts_of("event", event)
    event.set_text("km", title="")
    review.record("event", event, before)
    assert review.stale("event", event) == set()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TextReview)) == 0


def plan_with_item(event):
    plan = Plan(event=event, intro={"en": "Intro", "km": "សេចក្ដីផ្ដើម"})
    section = PlanSection(plan=plan, title={"en": "Elections", "km": "ការបោះឆ្នោត"}, position=0)
    item = PlanItem(section=section, what={"en": "Ask", "km": "ស្នើ"}, who={}, position=0)
    db.session.add_all([plan, section, item])
    db.session.commit()
    return item


def test_the_plan_editor_marks_a_translation_as_soon_as_the_autosave_answers(app, organizer):
    event = make_event(CONCLUDED)
    item = plan_with_item(event)
    key = f"item-{item.id}"
    url = f"/admin/events/{event.id}/plan/items/{item.id}"
    data = {f"{key}-what_en": "Ask", f"{key}-what_km": "ស្នើ", f"{key}-status": "proposed"}
    organizer.post(url, data=data, headers=HX)  # the baseline
    data[f"{key}-what_en"] = "Ask for a new, free election"
    answer = organizer.post(url, data=data, headers=HX).get_data(as_text=True)
    oob = re.search(
        rf'<div id="{key}-what-km-review" data-hx-swap-oob="true">(.*?)</div>', answer, re.S
    )
    assert oob and "needs review" in oob.group(1)
    editor = organizer.get(f"/admin/events/{event.id}/plan").get_data(as_text=True)
    assert review_note(editor, f"{key}-review-what-km")
    # Ticking "it still matches" is saved by the same autosave and clears the mark.
    data[f"{key}-reviewed"] = "what:km"
    answer = organizer.post(url, data=data, headers=HX).get_data(as_text=True)
    oob = re.search(
        rf'<div id="{key}-what-km-review" data-hx-swap-oob="true">(.*?)</div>', answer, re.S
    )
    assert oob and "needs review" not in oob.group(1)


def test_a_duplicate_keeps_the_marks_and_what_translations_were_made_from(app, organizer):
    event = make_event(slug="planning-2023", texts={"en": {"title": "Old"}, "km": {"title": "ចាស់"}})
    save_session(organizer, event, summary_en="Text", summary_km="អត្ថបទ")
    save_session(organizer, event, title_en="New")
    response = organizer.post(
        f"/admin/events/{event.id}/duplicate",
        data={"slug": "planning-2024", "dates": "shift", "shift_days": "364"},
    )
    assert response.status_code == 302
    copy = db.session.scalar(sa.select(Event).where(Event.slug == "planning-2024"))
    assert review.stale("event", copy) == {("title", "km")}
    # In the copy, changing the English summary marks its Khmer one.
    save_session(organizer, copy, summary_en="Another text")
    assert review.stale("event", db.session.get(Event, copy.id)) == {
        ("title", "km"),
        ("summary", "km"),
    }
