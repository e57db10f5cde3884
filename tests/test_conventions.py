"""Things written once: each check here would catch a second copy drifting from the first."""

import re

from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from app.mail.mime import PLAIN_ADDRESS, _address_header
from app.mail.worker import malformed_address


@settings(max_examples=100, deadline=None)
@given(st.from_regex(PLAIN_ADDRESS, fullmatch=True))
def test_an_address_taken_the_short_way_is_well_formed(address):
    # The worker and the header writer skip the full check for these: it must agree.
    validate_email(address, check_deliverability=False)
    assert malformed_address(address) == ""
    assert _address_header(address) == address


def test_the_short_way_refuses_what_the_full_check_refuses():
    too_long_label = "dara@" + "a" * 64 + ".org"
    too_long_domain = "dara@" + ("a" * 60 + ".") * 5 + "org"
    for address in (too_long_label, too_long_domain, "dara@localhost", "dara@example..org"):
        assert malformed_address(address) != "", address


def test_organizer_pages_are_guarded_by_their_blueprint_not_route_by_route(app):
    # One way: a blueprint of organizer pages refuses everyone else in its before_request
    # (app/ideas/admin.py), so a route added to it later cannot forget its decorator.
    guarded_route_by_route = sorted(
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "required_role", None)
    )
    assert guarded_route_by_route == []


def test_each_request_runs_in_an_app_context_of_its_own(app, client):
    # As a server runs them: what one request keeps on `g` (the chosen language, the
    # signed-in user) or in its database session is gone for the next, even while the test
    # holds an app context open for its own work.
    from flask import g

    from app.extensions import db

    seen = []

    @app.get("/_probe")
    def probe():
        seen.append((g.get("left_by_earlier"), id(db.session())))
        g.left_by_earlier = "yes"
        return ""

    g.left_by_earlier = "the test's"
    client.get("/_probe")
    client.get("/_probe")
    assert [left for left, _session in seen] == [None, None]
    assert id(db.session()) not in [session for _left, session in seen]


def test_sessions_for_tests_are_made_by_one_factory():
    from support import ROOT

    factories = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if re.search(r"^def make_event\(", path.read_text(encoding="utf-8"), re.MULTILINE)
    )
    assert factories == ["tests/world.py"]
