"""Bad input from a URL, a query string or a form is answered as a visitor expects (a 404,
the first page, no filter, a message next to the field), never a 500. PostgreSQL refuses
2147483648 and more against an INTEGER column, SQLite 2**63 and more."""

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter
from world import World, login

from app.extensions import db
from app.models import Event, Idea, PlanItem, Registration

HUGE = ["2147483648", "99999999999999999999", "9" * 5000]
# The messages, as a visitor reading Khmer (or an organizer reading French) sees them.
KM_COUNTRY = "សូមជ្រើសរើសប្រទេសពីបញ្ជី។"
KM_THEME = "សូមជ្រើសរើសប្រធានបទពីបញ្ជី។"
KM_LANGUAGE = "សូមជ្រើសរើសភាសាមួយក្នុងចំណោមភាសាដែលមាន។"
KM_DISPLAY = "សូមជ្រើសរើសរបៀបដែលអ្នកចង់ឱ្យគេបង្ហាញអ្នក។"
FR_STATUS = "Veuillez choisir l’un des statuts proposés."
KM_YEARS = "សូមបញ្ចូលកាលបរិច្ឆេទមួយនៅចន្លោះឆ្នាំ 2000 និងឆ្នាំ 2100។"

EVERY_NUMBER = HUGE + ["-1", "0", "١", "²", "1e3", "%00"]


def test_a_number_no_row_can_have_in_a_url_is_a_404(app, client):
    world = World()
    login(client, world.organizer.email)
    e = world.event.id
    paths = [
        "/s/open/plan/v{n}",
        "/admin/events/{n}",
        "/admin/events/{n}/registrants",
        "/admin/events/{e}/plan/items/{n}/edit",
        "/moderate/{n}",
        "/admin/events/{n}/speakers",
        "/admin/events/{e}/speaker/{n}",
        "/admin/events/{e}/partner/{n}",
        "/speakers/{n}/photo-0123456789abcdef.jpg",
    ]
    for number in HUGE + ["-1", "١"]:
        for path in paths:
            url = path.format(n=number, e=e)
            assert client.get(url).status_code == 404, url
    for path in [
        f"/moderate/{e}/ideas/{{n}}/approve",
        "/admin/outbox/{n}/retry",
        f"/admin/events/{e}/speaker/{{n}}/move",
        f"/admin/events/{e}/partner/{{n}}/remove",
        "/admin/zoom/events/{n}/panelists",
    ]:
        for number in HUGE:
            url = path.format(n=number)
            assert client.post(url).status_code == 404, url


def test_a_number_out_of_range_in_a_query_is_no_filter_or_the_first_page(app, client):
    world = World()
    login(client, world.organizer.email)
    e = world.event.id
    pages = {
        "/s/open/ideas": "An idea",
        f"/moderate/{e}": "An idea",
        f"/admin/events/{e}/ideas": "An idea",
        f"/admin/events/{e}/registrants": "known@example.org",
        "/admin/audit": "org@example.org",
        f"/admin/events/{e}/plan": "An idea",
    }
    workflow_status = {"status": "all"}
    for number in EVERY_NUMBER:
        for path, shown in pages.items():
            for arg in ("page", "theme", "edit"):
                query = {arg: number, **(workflow_status if "moderate" in path else {})}
                response = client.get(path, query_string=query)
                where = f"{path}?{arg}={number!r}"
                assert response.status_code == 200, where
                assert shown in response.text.replace("<wbr>", ""), where  # as it reads


def test_an_idea_number_out_of_range_in_the_plan_search_finds_nothing(app, client):
    world = World()
    login(client, world.organizer.email)
    url = f"/admin/events/{world.event.id}/plan/items/{world.item.id}/ideas"
    htmx = {"HX-Request": "true"}  # the results alone
    for number in HUGE + ["²", "#²"]:
        response = client.get(url, query_string={"q": "#" + number}, headers=htmx)
        assert response.status_code == 200, number
        assert world.idea.title not in response.text, number
    found = client.get(url, query_string={"q": f"#{world.idea.id}"}, headers=htmx)
    assert world.idea.title in found.text


def test_moderation_forms_with_numbers_out_of_range_change_nothing(app, client):
    world = World()
    login(client, world.moderator.email)
    e, idea = world.event.id, world.idea
    before = (idea.status, idea.theme_id, idea.merged_into_id, idea.revision)
    base = f"/moderate/{e}/ideas/{idea.id}"
    for number in HUGE + ["²"]:
        answer = client.post(base + "/theme", data={"theme_id": number, "revision": idea.revision})
        assert answer.status_code in (302, 409, 422), number
        answer = client.post(base + "/merge", data={"into": number, "revision": idea.revision})
        assert answer.status_code in (302, 409, 422), number
        answer = client.post(
            f"/moderate/{e}/bulk",
            data={"action": "reject", "ids": [f"{number}:1", f"{idea.id}:{number}"]},
        )
        assert answer.status_code == 302, number
    db.session.expire_all()
    idea = db.session.get(Idea, idea.id)
    assert (idea.status, idea.theme_id, idea.merged_into_id, idea.revision) == before


def test_linking_an_idea_number_out_of_range_to_a_plan_item_is_refused(app, client):
    world = World()
    login(client, world.organizer.email)
    url = f"/admin/events/{world.event.id}/plan/items/{world.item.id}/ideas"
    for number in HUGE + ["²"]:
        assert client.post(url, data={"idea_id": number}).status_code == 400, number
    linked = db.session.execute(sa.text("SELECT count(*) FROM plan_item_idea")).scalar()
    assert linked == 1  # the one World's draft made


# ---------------------------------------------------------------- choices


def error_next_to(html, field_id):
    """The text of the error shown under a field (tied to it by aria-describedby)."""
    found = re.search(rf'<div class="error" id="{field_id}-error">(.*?)</div>', html, re.S)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else None


@pytest.mark.parametrize("country", [" ", " " * 200, "XX", "fr", "\t"])
def test_a_country_not_in_the_list_is_refused_next_to_the_field_in_khmer(app, client, country):
    World()
    data = {"email": "dara@example.org", "name": "Dara", "language": "km", "consent": "y"}
    response = client.post("/s/open/register?lang=km", data={**data, "country": country})
    assert response.status_code == 200
    assert error_next_to(response.text, "country") == KM_COUNTRY
    assert 'value="Dara"' in response.text and 'value="dara@example.org"' in response.text
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 2  # World's two


def test_no_country_or_one_from_the_list_is_kept(app, client):
    World()
    data = {"email": "a@example.org", "name": "A", "language": "en", "consent": "y"}
    assert client.post("/s/open/register", data=data).status_code == 302
    data.update(email="b@example.org", country="")
    assert client.post("/s/open/register", data=data).status_code == 302
    data.update(email="c@example.org", country="KH")
    assert client.post("/s/open/register", data=data).status_code == 302
    countries = db.session.scalars(
        sa.select(Registration.country).where(Registration.email.like("_@example.org"))
    ).all()
    assert sorted(countries) == ["", "", "KH"]


@pytest.mark.parametrize(
    "field, value, field_id, message",
    [
        ("theme", "99999999999999999999", "idea-theme", "KM_THEME"),
        ("theme", " ", "idea-theme", "KM_THEME"),
        ("language", "xx", "idea-language", "KM_LANGUAGE"),
        ("language", " ", "idea-language", "KM_LANGUAGE"),
        ("display", "everyone", "idea-display", "KM_DISPLAY"),
    ],
)
def test_an_idea_choice_not_offered_is_refused_next_to_the_field_in_khmer(
    app, client, field, value, field_id, message
):
    World()
    data = {
        "title": "Free elections",
        "body": "Observers at every polling station.",
        "email": "author@example.org",
        "language": "km",
        "display": "anonymous",
        "theme": "",
        field: value,
    }
    response = client.post("/s/open/ideas/new?lang=km", data=data)
    assert response.status_code == 200
    assert error_next_to(response.text, field_id) == globals()[message]
    assert "Free elections" in response.text and "Observers at every polling station." in (
        response.text
    )
    assert db.session.scalar(sa.select(sa.func.count(Idea.id))) == 1  # World's own


def test_a_plan_item_status_not_offered_is_refused_in_the_organizer_language(app, client):
    world = World()
    login(client, world.organizer.email)
    item = world.item
    key = f"item-{item.id}"
    response = client.post(
        f"/admin/events/{world.event.id}/plan/items/{item.id}?lang=fr",
        data={f"{key}-what_en": "Kept text", f"{key}-status": "sideways"},
    )
    assert response.status_code == 422
    assert error_next_to(response.text, f"{key}-status") == FR_STATUS
    assert "Kept text" in response.text
    db.session.expire_all()
    assert db.session.get(PlanItem, item.id).status == "proposed"


# ---------------------------------------------------------------- every URL, any value

# Every query argument the code reads (test_every_query_argument_read_is_fuzzed keeps this
# list whole) and a few it does not, which must be ignored.
QUERY_ARGS = [
    "lang", "t", "token", "next", "q", "sort", "status", "language", "country", "theme",
    "page", "per_page", "edit", "batch", "tz", "unknown",
]  # fmt: skip
READS = re.compile(
    r'(?:args|params)\.get\(\s*"(\w+)"|int_arg\(\s*(?:request\.args|params|args)\s*,\s*"(\w+)"'
    r"|(page)_arg\("
)

NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["1", "2", "2147483647", "2147483648", "9" * 30, "9" * 5000, "١", "²"]),
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=()), max_size=300),
    st.sampled_from(["", " ", "\x00", "%00", "..", "../../etc/passwd", "ក" * 500, "a" * 5000]),
)
VALUES = st.one_of(NUMBERS, TEXTS)
BY_CONVERTER = {"IntegerConverter": NUMBERS, "UnicodeConverter": VALUES, "PathConverter": VALUES}

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def values_for(converter):
    """What to try in an argument: its own choices too, for `any(...)`."""
    if isinstance(converter, AnyConverter):
        return st.one_of(st.sampled_from(sorted(converter.items)), VALUES)
    return BY_CONVERTER[converter_kind(converter)]


def converter_kind(converter):
    for kind in BY_CONVERTER:
        if any(cls.__name__ == kind for cls in type(converter).__mro__):
            return kind
    raise AssertionError(f"teach this test values for {type(converter).__name__}")


def fill(rule, values):
    """The rule's URL with each argument replaced by a (quoted) value of any kind."""
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: quote(values[m.group(1)], safe=""), rule.rule)


@st.composite
def requests(draw, rules):
    rule = draw(st.sampled_from(rules))
    values = {name: draw(values_for(converter)) for name, converter in rule._converters.items()}
    query = draw(st.dictionaries(st.sampled_from(QUERY_ARGS), VALUES, max_size=4))
    method = draw(st.sampled_from(sorted(rule.methods - {"HEAD", "OPTIONS"})))
    return method, fill(rule, values), query


def test_every_query_argument_read_is_fuzzed():
    root = Path(__file__).resolve().parent.parent
    read = set()
    for path in [*root.glob("app/**/*.py"), *root.glob("plugins/**/*.py")]:
        for found in READS.findall(path.read_text()):
            read.update(name for name in found if name)
    assert read, "the pattern no longer finds how the code reads query arguments"
    assert read <= set(QUERY_ARGS), read - set(QUERY_ARGS)


def rules_of(app):
    return [r for r in app.url_map.iter_rules() if r.arguments]


@pytest.mark.parametrize("who", ["anonymous", "organizer"])
def test_any_value_in_any_url_argument_and_query_is_never_a_500(app, who):
    world = World()
    client = app.test_client()
    if who == "organizer":
        login(client, world.organizer.email)

    @FUZZ
    @given(request=requests(rules_of(app)))
    def never_a_500(request):
        method, url, query = request
        response = client.open(url, method=method, query_string=query)
        assert response.status_code < 500, (method, url, query)
        db.session.rollback()

    never_a_500()


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("field", ["starts_at", "registration_opens_at", "ideas_close_at"])
@pytest.mark.parametrize("when", ["0001-01-01T00:00", "9999-12-31T23:59", "1999-12-31T23:00"])
def test_a_date_out_of_range_is_refused_next_to_the_field_in_khmer(client, admin_user, field, when):
    from test_sessions_admin import valid_form

    login(client, admin_user.email)
    data = valid_form(summary_en="Kept text", **{field: when})
    response = client.post("/admin/events/new?lang=km", data=data)
    assert response.status_code == 200
    assert error_next_to(response.text, field).startswith(KM_YEARS)
    assert "Kept text" in response.text
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 0


def test_a_duplicate_starting_out_of_range_is_refused(client, admin_user):
    world = World()
    login(client, admin_user.email)
    data = {"slug": "again", "dates": "new", "new_start": "9999-12-31T23:59"}
    response = client.post(f"/admin/events/{world.event.id}/duplicate?lang=km", data=data)
    assert response.status_code == 200
    assert error_next_to(response.text, "new_start") == KM_YEARS
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


# ---------------------------------------------------------------- organizer forms


class Forms(HTMLParser):
    """The POST forms of a page as a browser would send them untouched: [(action, fields)]."""

    def __init__(self, page):
        super().__init__()
        self.page, self.forms, self.select, self.textarea = page, [], None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            post = (a.get("method") or "get").lower() == "post"
            self.forms.append((a.get("action") or self.page, {}) if post else None)
        fields = self.forms[-1][1] if self.forms and self.forms[-1] else None
        if fields is None:
            return
        name = a.get("name")
        if tag == "input" and name and name != "csrf_token":
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                fields[name] = a.get("value") or ""
        elif tag == "textarea":
            self.textarea = name
            fields[name] = ""
        elif tag == "select":
            self.select = name
        elif tag == "option" and self.select and ("selected" in a or self.select not in fields):
            fields[self.select] = a.get("value", "")

    def handle_endtag(self, tag):
        if tag in ("select", "textarea"):
            self.select = self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.forms and self.forms[-1]:
            self.forms[-1][1][self.textarea] += data


BROKEN = [
    "0001-01-01T00:00", "9999-12-31T23:59", "2147483648", "-99999999999999999999", "9" * 5000,
    "²", " ", "\x00", "ក" * 5000, "javascript:alert(1)",
]  # fmt: skip


def test_any_field_of_an_organizer_form_broken_is_never_a_500(app):
    """Each form as the page offers it, filled, with one field broken: what the organizer
    sees is the form again with a message, or the change, never a 500."""
    world = World()
    client = app.test_client()
    login(client, world.organizer.email)
    e = world.event.id
    pages = [
        f"/admin/events/{e}/edit",
        f"/admin/events/{e}/duplicate",
        "/admin/events/new",
        f"/admin/events/{e}/announce",
        f"/admin/events/{e}/plan",
        "/admin/branding",
        f"/admin/events/{e}",
        "/admin/users",
    ]
    cases = []
    for path in pages:
        parser = Forms(path)
        parser.feed(client.get(path).text)
        for action, fields in filter(None, parser.forms):
            if action != "/logout":
                cases += [(action, fields, name) for name in fields]
    assert len(cases) > 150, len(cases)

    @settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=st.sampled_from(cases), value=st.sampled_from(BROKEN))
    def never_a_500(case, value):
        action, fields, name = case
        response = client.post(action, data={**fields, name: value})
        assert response.status_code < 500, (action, name, value)
        db.session.rollback()

    never_a_500()
