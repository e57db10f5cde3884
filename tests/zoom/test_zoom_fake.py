"""The fake Zoom itself refuses what Zoom would refuse, so the other tests mean something."""

import pytest

from plugins.zoom import sync
from plugins.zoom.client import ZoomError


def test_the_fake_rejects_a_body_against_zooms_schema(zoom_app, fake_zoom):
    meeting = fake_zoom.add_meeting()
    client = sync.make_client()
    with pytest.raises(ZoomError) as caught:  # no first_name, bad language, unknown type
        client.request(
            "POST",
            f"/meetings/{meeting}/registrants",
            {"email": "dara@example.org", "language": "km-KH", "auto_approve": "yes"},
        )
    assert caught.value.status == 400
    problems = "\n".join(fake_zoom.violations)
    assert "'first_name' is a required property" in problems
    assert "'km-KH' is not one of" in problems
    assert "'yes' is not of type 'boolean'" in problems
    with pytest.raises(ZoomError):
        client.request("POST", "/users/me/meetings", {"type": 2, "start_time": "tomorrow"})
    assert "'tomorrow' is not a 'date-time'" in "\n".join(fake_zoom.violations)
    with pytest.raises(ZoomError):
        client.request("GET", "/meetings/not-a-number")
    assert "is not an integer" in fake_zoom.violations[-1]
    fake_zoom.violations.clear()  # seen: the fixture's own check would fail otherwise


def test_the_fake_refuses_a_token_it_did_not_issue(zoom_app, fake_zoom):
    import urllib.request

    request = urllib.request.Request(
        fake_zoom.url + f"/v2/meetings/{fake_zoom.add_meeting()}",
        headers={"Authorization": "Bearer made-up"},
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=2)
    assert caught.value.code == 401
