"""Zoom webinars (issue 16 §2): the plugin finds out that a session's number is a webinar
and does for it what it does for a meeting, through the webinar paths of Zoom's API (the
fake Zoom checks each request against tests/zoom/api and refuses a webinar's number under
/meetings, as Zoom does); `sala zoom check` says what is wrong with a webinar's settings;
`create-meeting --webinar`; webinar webhooks; speakers sent as panelists, each mailed their
own panelist link over real SMTP."""

import sqlalchemy as sa
from fakezoom import FakeZoom
from registration_helpers import SmtpSink, smtp_config
from test_zoom_webhook import joined, post
from zoomhelpers import make_registration, zoom_event, zoom_state

from app.extensions import db
from app.mail import worker
from app.models import AuditEntry, Event
from app.plugins import JoinDetails, hooks
from app.speakers.models import Speaker
from plugins.zoom.models import ZoomPanelist, kind_of, meeting_of


def zoom(app, *args):
    result = app.test_cli_runner().invoke(args=["zoom", *args])
    assert FakeZoom.CLIENT_SECRET not in result.output
    return result


def confirm(registration):
    hooks().sala_registration_confirmed(registration=registration)
    db.session.commit()


def operations(fake):
    return [c.operation for c in fake.calls]


# ---------------------------------------------------------------- registrants


def test_a_webinar_registrant_gets_their_own_link_through_the_webinar_paths(zoom_app, fake_zoom):
    webinar = fake_zoom.add_webinar()
    event = zoom_event(webinar)
    people = [
        make_registration(event, "dara@example.org", "Dara Sok"),
        make_registration(event, "sophea@example.org", "សុភា"),
    ]
    for registration in people:
        confirm(registration)
    assert kind_of(event) == ""  # not known until Zoom is asked, never in a request

    worker.run_once()

    assert kind_of(event) == "webinar"
    links = {r["email"]: r["join_url"] for r in fake_zoom.registrants(webinar)}
    for registration in people:
        assert zoom_state(registration).status == "synced"
        details = hooks().sala_join_details(registration=registration)
        assert details == JoinDetails(
            url=links[registration.email],
            passcode="shared-pass",
            meeting_id=webinar,
            personal=True,
        )
    # Asked once as a meeting (Zoom: not found), once as a webinar, then only webinar paths;
    # no `auto_approve`, which a webinar's registrant create does not take.
    assert operations(fake_zoom) == [
        "meeting",
        "webinar",
        "webinarRegistrantCreate",
        "webinarRegistrantCreate",
    ]
    assert all("auto_approve" not in c.body for c in fake_zoom.calls_to("webinarRegistrantCreate"))


def test_a_webinar_that_approves_by_hand_gives_the_shared_link_and_says_why(zoom_app, fake_zoom):
    event = zoom_event(fake_zoom.add_webinar(approval_type=1))
    registration = make_registration(event, "dara@example.org", "Dara Sok")
    confirm(registration)
    worker.run_once()
    state = zoom_state(registration)
    assert state.status == "failed"
    assert "the webinar approves registrants by hand" in state.error
    assert hooks().sala_join_details(registration=registration).personal is False


def test_cancelling_and_erasing_reach_the_webinar(zoom_app, fake_zoom):
    from app.registration import domain

    webinar = fake_zoom.add_webinar()
    event = zoom_event(webinar)
    leaving = make_registration(event, "leaving@example.org", "Leaving")
    erased = make_registration(event, "erased@example.org", "Erased")
    confirm(leaving)
    confirm(erased)
    worker.run_once()
    assert len(fake_zoom.registrants(webinar, "approved")) == 2

    leaving.status = "cancelled"
    hooks().sala_registration_cancelled(registration=leaving)
    domain.erase(erased)
    db.session.commit()
    worker.run_once()

    assert [r["email"] for r in fake_zoom.registrants(webinar, "cancelled")] == [
        "leaving@example.org"
    ]
    assert "erased@example.org" not in [r["email"] for r in fake_zoom.registrants(webinar)]
    assert {"webinarRegistrantStatus", "deleteWebinarRegistrant"} <= set(operations(fake_zoom))


# ---------------------------------------------------------------- the CLI


def test_check_says_the_number_is_a_webinar_and_all_is_well(zoom_app, fake_zoom):
    fake_zoom.scope += " webinar:read:admin webinar:write:admin"
    event = zoom_event(fake_zoom.add_webinar())
    result = zoom(zoom_app, "check", "cambodia-2023")
    assert result.exit_code == 0, result.output
    assert f"The Zoom number {meeting_of(event)} of cambodia-2023 is a webinar." in result.output
    assert "found, registration required and approved automatically" in result.output
    assert result.output.strip().endswith("Zoom is ready.")
    assert kind_of(db.session.get(Event, event.id)) == "webinar"


def test_check_says_what_is_wrong_with_a_webinars_settings(zoom_app, fake_zoom):
    zoom_event(fake_zoom.add_webinar(approval_type=1, confirmation=True, panelist_invitation=True))
    result = zoom(zoom_app, "check", "cambodia-2023")
    assert result.exit_code == 1
    assert "registrants are approved by hand, so Zoom gives them no personal link" in result.output
    assert "lacks scopes to read webinars, add webinar registrants and panelists" in result.output
    assert "Zoom also mails each registrant of the webinar itself" in result.output
    assert "Zoom also mails its own invitation to each panelist" in result.output


def test_check_says_registration_is_off_on_a_webinar(zoom_app, fake_zoom):
    zoom_event(fake_zoom.add_webinar(approval_type=2))
    result = zoom(zoom_app, "check", "cambodia-2023")
    assert result.exit_code == 1
    assert "Problem with the webinar" in result.output
    assert "registration is not turned on" in result.output


def test_sync_adds_a_webinars_registrants_30_at_a_time(zoom_app, fake_zoom):
    webinar = fake_zoom.add_webinar()
    event = zoom_event(webinar)
    for i in range(35):
        make_registration(event, f"person{i}@example.org", f"P {i}")
    db.session.commit()
    result = zoom(zoom_app, "sync", "cambodia-2023")
    assert result.exit_code == 0, result.output
    assert f"35 registrants to add to the webinar {webinar}." in result.output
    assert "Done: 35 added, 0 refused by Zoom." in result.output
    batches = fake_zoom.calls_to("addBatchWebinarRegistrants")
    assert [len(c.body["registrants"]) for c in batches] == [30, 5]
    assert len(fake_zoom.registrants(webinar, "approved")) == 35


def test_create_meeting_webinar_makes_a_webinar_without_zooms_own_mails(zoom_app, fake_zoom):
    zoom_app.config["ZOOM_HOST_USER"] = "host@example.org"
    event = zoom_event()
    result = zoom(zoom_app, "create-meeting", "cambodia-2023", "--webinar")
    assert result.exit_code == 0, result.output
    assert "sala zoom panelists cambodia-2023" in result.output
    (call,) = fake_zoom.calls_to("webinarCreate")
    assert call.body["type"] == 5
    assert call.body["settings"] == {
        "approval_type": 0,
        "registrants_email_notification": False,
        "panelists_invitation_email_notification": False,
    }
    number = meeting_of(db.session.get(Event, event.id))
    assert fake_zoom.meetings[int(number)]["kind"] == "webinar"
    assert kind_of(event) == "webinar"


# ---------------------------------------------------------------- webhooks


def test_webinar_webhooks_mark_attendance_and_log_start_and_end(zoom_app, fake_zoom, zoom_client):
    webinar = fake_zoom.add_webinar()
    event = zoom_event(webinar)
    dara = make_registration(
        event, "dara@example.org", "Dara", zoom_status="synced", registrant_id="wr-1"
    )
    db.session.commit()

    started = {"event": "webinar.started", "event_ts": 1, "payload": {"object": {"id": webinar}}}
    assert post(zoom_client, started).status_code == 200
    body = joined(webinar, registrant_id="wr-1")
    body["event"] = "webinar.participant_joined"
    assert post(zoom_client, body).status_code == 200
    ended = {"event": "webinar.ended", "event_ts": 2, "payload": {"object": {"id": webinar}}}
    assert post(zoom_client, ended).status_code == 200

    db.session.refresh(dara)
    assert dara.attended is True
    assert kind_of(event) == "webinar"
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.target_id == event.id).order_by(AuditEntry.id)
    ).all()
    assert [a for a in actions if a.startswith("zoom.")] == ["zoom.started", "zoom.ended"]


# ---------------------------------------------------------------- panelists


def add_speakers(event):
    rows = [
        Speaker(position=0, texts={"en": {"name": "Dr. Sophea Lim"}}, email="sophea@example.org"),
        Speaker(
            position=1,
            texts={"en": {"name": "Dara Chan"}, "km": {"name": "ដារា ចាន់"}},
            email="dara@example.org",
            mail_language="km",
        ),
        Speaker(position=2, texts={"en": {"name": "No Address"}}),
    ]
    event.speaker_rows.extend(rows)
    db.session.commit()
    return rows


def test_speakers_become_panelists_and_each_gets_their_own_link_by_mail(
    make_app, zoom_config, fake_zoom, smtp
):
    app = make_app(**zoom_config, **smtp_config(smtp))
    with app.app_context():
        webinar = fake_zoom.add_webinar()
        event = zoom_event(webinar)
        sophea, dara, nobody = add_speakers(event)

        result = zoom(app, "panelists", "cambodia-2023")
        assert result.exit_code == 0, result.output
        assert "Dr. Sophea Lim: panelist on Zoom; their own link is being mailed." in result.output
        assert "No Address: no email address, so not sent to Zoom." in result.output
        on_zoom = {p["email"]: p for p in fake_zoom.panelists(webinar)}
        assert set(on_zoom) == {"sophea@example.org", "dara@example.org"}
        assert on_zoom["dara@example.org"]["name"] == "ដារា ចាន់"  # in their mail language

        assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
        (to_sophea,) = smtp.to("sophea@example.org")
        (to_dara,) = smtp.to("dara@example.org")
        assert "Your panelist link" in to_sophea["Subject"]
        assert on_zoom["sophea@example.org"]["join_url"] in SmtpSink.text(to_sophea)
        assert on_zoom["dara@example.org"]["join_url"] in SmtpSink.text(to_dara)
        assert on_zoom["sophea@example.org"]["join_url"] not in SmtpSink.text(to_dara)
        assert (to_sophea["Content-Language"], to_dara["Content-Language"]) == ("en", "km")
        assert "ដារា ចាន់" in SmtpSink.text(to_dara)

        # Again: nobody new, no new mail; a speaker removed goes off the webinar.
        db.session.delete(db.session.get(Speaker, sophea.id))
        db.session.commit()
        result = zoom(app, "panelists", "cambodia-2023")
        assert result.exit_code == 0, result.output
        assert "Dara Chan: panelist on Zoom; already has their link." in result.output
        assert [p["email"] for p in fake_zoom.panelists(webinar)] == ["dara@example.org"]
        app.test_cli_runner().invoke(args=["worker", "--once"])
        assert len(smtp.to("dara@example.org")) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ZoomPanelist)) == 1


def test_panelists_are_for_webinars_only(zoom_app, fake_zoom):
    zoom_event(fake_zoom.add_meeting())
    result = zoom(zoom_app, "panelists", "cambodia-2023")
    assert result.exit_code == 1
    assert "is a meeting: only webinars have panelists" in result.output
    assert fake_zoom.calls_to("webinarPanelistCreate") == []


def test_the_organizers_zoom_box_says_webinar_and_where_each_speaker_stands(
    zoom_app, fake_zoom, zoom_client
):
    webinar = fake_zoom.add_webinar()
    event = zoom_event(webinar)
    add_speakers(event)
    page = zoom_client.get(f"/admin/events/{event.id}?lang=en").text
    assert f"Meeting ID: {webinar}" in page  # not known to be a webinar yet
    assert "Speakers as webinar panelists" not in page

    assert zoom(zoom_app, "panelists", "cambodia-2023").exit_code == 0
    page = zoom_client.get(f"/admin/events/{event.id}?lang=en").text
    assert f"Webinar ID: {webinar}" in page
    assert page.count('data-panelist="mailed"') == 2
    assert page.count('data-panelist="no_email"') == 1
    assert "no email address: add one to send a panelist link" in page
    assert "sophea@example.org" not in page.split("Speakers as webinar panelists")[1][:2000]


def test_the_organizers_button_sends_the_speakers_through_the_worker(
    make_app, zoom_config, fake_zoom, smtp
):
    from support import Auth, create_user

    app = make_app(**zoom_config, **smtp_config(smtp))
    with app.app_context():
        webinar = fake_zoom.add_webinar()
        event = zoom_event(webinar)
        add_speakers(event)
        client = app.test_client()
        Auth(client).login(create_user("organizer@example.org", "admin").email)

        page = client.get(f"/admin/events/{event.id}?lang=km").text
        assert "ផ្ញើវាគ្មិនទៅ Zoom ជាវាគ្មិនក្នុងវេប៊ីណា" in page
        answer = client.post(f"/admin/zoom/events/{event.id}/panelists", data={})
        assert answer.status_code == 302
        assert fake_zoom.calls == []  # the request never waits on Zoom
        page = client.get(f"/admin/events/{event.id}?lang=en").text
        assert 'data-panelists="queued"' in page

        assert app.test_cli_runner().invoke(args=["worker", "--once"]).exit_code == 0
        assert {p["email"] for p in fake_zoom.panelists(webinar)} == {
            "sophea@example.org",
            "dara@example.org",
        }
        app.test_cli_runner().invoke(args=["worker", "--once"])  # the mails queued last round
        assert len(smtp.to("sophea@example.org")) == 1 and len(smtp.to("dara@example.org")) == 1
        page = client.get(f"/admin/events/{event.id}?lang=en").text
        assert 'data-panelists="queued"' not in page
        assert page.count('data-panelist="mailed"') == 2


def test_the_button_is_refused_for_a_meeting(zoom_app, fake_zoom, zoom_client):
    event = zoom_event(fake_zoom.add_meeting())
    assert zoom(zoom_app, "check", "cambodia-2023").exit_code == 0  # now known: a meeting
    page = zoom_client.get(f"/admin/events/{event.id}?lang=en").text
    assert "Send the speakers to Zoom as panelists" not in page
    answer = zoom_client.post(f"/admin/zoom/events/{event.id}/panelists", follow_redirects=True)
    assert "only webinars have panelists" in answer.text
