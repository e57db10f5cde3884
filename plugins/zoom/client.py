"""A small Zoom API client: Server-to-Server OAuth, retries, clear errors.

Standard library only (urllib): the plugin makes a handful of JSON calls, and every call has
a timeout. Secrets stay in this object and are never put in a message or a log line.
"""

import base64
import json
import logging
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from flask_babel import gettext as _

log = logging.getLogger(__name__)

# Tokens are shared by every client with the same credentials, so that each worker round does
# not ask for a new one. Keyed by (oauth url, account id, client id); never printed.
_TOKENS = {}
_TOKENS_LOCK = threading.Lock()


def mask(value):
    """A secret as it may be shown: its last 4 characters at most."""
    value = value or ""
    return "…" + value[-4:] if len(value) > 8 else "…"


def meeting_number(meeting_id):
    """Zoom's meeting number from what an organizer typed ('851 2345 6789' or a link)."""
    digits = re.sub(r"\D", "", str(meeting_id or ""))
    return digits


# What a Zoom number stands for. Meetings and webinars share the numbering, but each has its
# own paths (/meetings/{meetingId}/..., /webinars/{webinarId}/...) with the same shapes.
MEETING = "meeting"
WEBINAR = "webinar"
KINDS = (MEETING, WEBINAR)
WEBINAR_TYPES = (5, 6, 9)  # scheduled, recurring without and with a fixed time


def resource_path(kind, meeting_id, *rest):
    """The one place an API path of a meeting or webinar is built:
    resource_path("webinar", "912 3456 7890", "registrants") is
    /webinars/91234567890/registrants. Each further part is quoted (registrant ids)."""
    if kind not in KINDS:
        raise ValueError(f"not a kind of Zoom meeting: {kind!r}")
    parts = [f"/{kind}s", meeting_number(meeting_id)]
    parts += [urllib.parse.quote(str(part), safe="") for part in rest]
    return "/".join(parts)


class ZoomError(Exception):
    """A Zoom call that did not work. ``temporary`` says whether trying later may help."""

    def __init__(self, kind, status=0, code=None, message="", retry_after=None):
        super().__init__(f"{kind} (HTTP {status}, code {code}): {message}")
        self.kind = kind
        self.status = status
        self.code = code
        self.zoom_message = message
        self.retry_after = retry_after

    @property
    def temporary(self):
        # Outages and rate limits pass; so may set-up problems (credentials, scopes), which
        # are not the registrant's fault: their registration waits rather than fails.
        return self.kind in (
            "unavailable",
            "rate_limited",
            "registrant_limited",
            "credentials",
            "token",
            "scopes",
        )

    def describe(self):
        """The error in plain words for an organizer (through gettext)."""
        kind, message = self.kind, self.zoom_message
        if kind == "credentials":
            return _(
                "Zoom refused the credentials: check ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and "
                "ZOOM_CLIENT_SECRET (Zoom said: %(message)s).",
                message=message,
            )
        if kind == "token":
            return _("Zoom did not accept the access token, even a fresh one.")
        if kind == "scopes":
            return _(
                "The Zoom app lacks a permission (scope) Sala needs: %(message)s", message=message
            )
        if kind == "meeting_not_found":
            return _("The Zoom meeting was not found, or it has expired.")
        if kind == "registration_disabled":
            return _(
                "Registration is not turned on for this Zoom meeting: in Zoom, edit the "
                "meeting and tick 'Registration: Required'."
            )
        if kind == "meeting_over":
            return _("The Zoom meeting is over: nobody can register for it any more.")
        if kind == "meeting_full":
            return _("The Zoom meeting is full: it has reached its maximum number of attendees.")
        if kind == "rate_limited":
            return _("Zoom's rate limit was reached; Sala will try again later.")
        if kind == "registrant_limited":
            return _(
                "Zoom takes only a few registrations of one person a day; Sala will try "
                "this registrant again later."
            )
        if kind == "unavailable":
            return _(
                "Zoom could not be reached or failed (%(message)s); Sala will try again.",
                message=message,
            )
        return _(
            "Zoom refused the request (HTTP %(status)s, code %(code)s): %(message)s",
            status=self.status,
            code=self.code,
            message=message,
        )


def classify(status, code, message):
    """The kind of a Zoom JSON error, from the codes in Zoom's documentation."""
    lowered = (message or "").lower()
    if status == 429 and "registrant" in lowered:
        return "registrant_limited"  # Zoom's daily limit of adds of one registrant
    if status == 429:
        return "rate_limited"
    if status >= 500:
        return "unavailable"
    if status == 401 or code == 124:
        return "token"
    if code in (4700, 4711) or "scope" in lowered:
        return "scopes"
    if code == 3043:
        return "meeting_full"
    if code == 3038:
        return "meeting_over"
    if code == 3001 or (code == 300 and "not found" in lowered):
        return "meeting_not_found"
    if (
        "registration has not been enabled" in lowered
        or "not set registration" in lowered
        or "does not have registration" in lowered  # a webinar's (code 3000)
    ):
        return "registration_disabled"
    if code == 300 and "registration" in lowered:
        return "registration_disabled"
    if status == 404 and code in (None, 404) and not lowered:
        return "meeting_not_found"
    return "refused"


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header: seconds, or an HTTP date. None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    return max(0.0, (when - now).total_seconds())


@dataclass
class Settings:
    account_id: str
    client_id: str
    client_secret: str
    api_base: str = "https://api.zoom.us/v2"
    oauth_url: str = "https://zoom.us/oauth/token"
    timeout: float = 10.0
    retries: int = 3
    retry_base: float = 1.0
    # The longest wait (seconds) spent sleeping inside one call; longer waits are raised
    # as rate_limited/unavailable so the caller (the worker) can come back later.
    max_inline_wait: float = 5.0

    def __repr__(self):  # never show the secret, even in a traceback
        return f"Settings(account_id={mask(self.account_id)}, client_id={mask(self.client_id)})"

    @classmethod
    def from_config(cls, config, **overrides):
        values = dict(
            account_id=config.get("ZOOM_ACCOUNT_ID") or "",
            client_id=config.get("ZOOM_CLIENT_ID") or "",
            client_secret=config.get("ZOOM_CLIENT_SECRET") or "",
            api_base=(config.get("ZOOM_API_BASE") or cls.api_base).rstrip("/"),
            oauth_url=config.get("ZOOM_OAUTH_URL") or cls.oauth_url,
            timeout=float(config.get("ZOOM_TIMEOUT", 10)),
            retries=int(config.get("ZOOM_RETRIES", 3)),
            retry_base=float(config.get("ZOOM_RETRY_BASE", 1.0)),
            max_inline_wait=float(config.get("ZOOM_MAX_INLINE_WAIT", 5.0)),
        )
        values.update(overrides)
        return cls(**values)

    @property
    def complete(self):
        return bool(self.account_id and self.client_id and self.client_secret)


@dataclass
class Response:
    status: int
    headers: dict
    body: object


class ZoomClient:
    def __init__(self, settings, sleep=time.sleep):
        self.settings = settings
        self.sleep = sleep
        self.scope = None

    def __repr__(self):
        return f"ZoomClient({self.settings!r})"

    # ------------------------------------------------------------ token

    @property
    def _token_key(self):
        s = self.settings
        return (s.oauth_url, s.account_id, s.client_id)

    def token(self, fresh=False):
        with _TOKENS_LOCK:
            cached = _TOKENS.get(self._token_key)
            if cached and not fresh and cached["expires"] > time.monotonic():
                self.scope = cached["scope"]
                return cached["token"]
        token, expires_in, scope = self._fetch_token()
        # Refreshed a minute before Zoom's expiry (or at half-life for short tokens).
        margin = min(60.0, expires_in / 2)
        with _TOKENS_LOCK:
            _TOKENS[self._token_key] = {
                "token": token,
                "expires": time.monotonic() + expires_in - margin,
                "scope": scope,
            }
        self.scope = scope
        return token

    def forget_token(self):
        with _TOKENS_LOCK:
            _TOKENS.pop(self._token_key, None)

    def _fetch_token(self):
        s = self.settings
        data = urllib.parse.urlencode(
            {"grant_type": "account_credentials", "account_id": s.account_id}
        ).encode()
        basic = base64.b64encode(f"{s.client_id}:{s.client_secret}".encode()).decode()
        headers = {
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        response = self._send_with_retries("POST", s.oauth_url, data, headers)
        body = response.body if isinstance(response.body, dict) else {}
        if response.status != 200 or not body.get("access_token"):
            message = body.get("reason") or body.get("error") or f"HTTP {response.status}"
            raise ZoomError("credentials", response.status, body.get("code"), str(message))
        return body["access_token"], float(body.get("expires_in") or 3600), body.get("scope")

    # ------------------------------------------------------------ calls

    def request(self, method, path, body=None, params=None, retry_unclear=True):
        """One API call; returns the decoded JSON body (or None). Raises ZoomError.
        ``retry_unclear=False``: a timeout or 5xx is not tried again inside the call, for a
        call that must not be made twice (the first may have worked)."""
        url = self.settings.api_base + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(2):  # the second time only after a 401 with a fresh token
            headers = {
                "Authorization": f"Bearer {self.token(fresh=attempt > 0)}",
                "Accept": "application/json",
            }
            if data is not None:
                headers["Content-Type"] = "application/json"
            response = self._send_with_retries(method, url, data, headers, retry_unclear)
            if response.status == 401 and attempt == 0:
                log.info("Zoom answered 401 to %s %s: fetching a new token", method, path)
                self.forget_token()
                continue
            break
        if 200 <= response.status < 300:
            return response.body
        body = response.body if isinstance(response.body, dict) else {}
        code = body.get("code")
        message = str(body.get("message") or body.get("reason") or "")
        errors = body.get("errors")
        if errors:
            message += " " + "; ".join(
                f"{e.get('field', '')}: {e.get('message', '')}"
                for e in errors
                if isinstance(e, dict)
            )
        kind = classify(response.status, code, message)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise ZoomError(kind, response.status, code, message.strip(), retry_after)

    def _send_with_retries(self, method, url, data, headers, retry_unclear=True):
        """Send, sleeping and trying again on 429, 5xx and network errors while the waits
        stay short (429 only, unless `retry_unclear`); then give up with a temporary
        ZoomError."""
        s = self.settings
        attempt = 0
        while True:
            try:
                response = self._send(method, url, data, headers)
            except (TimeoutError, OSError) as exc:
                error = ZoomError("unavailable", 0, None, str(exc) or type(exc).__name__)
                wait = s.retry_base * 2**attempt
            else:
                if response.status == 429 and registrant_limited(response):
                    return response  # waiting inside the call would only use up the day's adds
                if response.status == 429:
                    retry_after = parse_retry_after(response.headers.get("retry-after"))
                    wait = retry_after if retry_after is not None else s.retry_base * 2**attempt
                    body = response.body if isinstance(response.body, dict) else {}
                    error = ZoomError(
                        "rate_limited",
                        429,
                        body.get("code"),
                        str(body.get("message") or ""),
                        retry_after=wait,
                    )
                elif response.status >= 500:
                    error = ZoomError(
                        "unavailable", response.status, None, f"HTTP {response.status}"
                    )
                    wait = s.retry_base * 2**attempt
                else:
                    return response
            attempt += 1
            unclear = error.kind == "unavailable"
            if attempt > s.retries or wait > s.max_inline_wait or (unclear and not retry_unclear):
                if error.retry_after is None:
                    error.retry_after = wait
                raise error
            log.info("Zoom %s %s: %s; trying again in %.2fs", method, url, error.kind, wait)
            self.sleep(wait)

    def _send(self, method, url, data, headers):
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as answer:
                return Response(answer.status, _headers(answer.headers), _decode(answer.read()))
        except urllib.error.HTTPError as answer:
            with answer:
                return Response(answer.code, _headers(answer.headers), _decode(answer.read()))
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, OSError):
                raise reason from exc
            raise OSError(str(reason)) from exc

    # ------------------------------------------------------------ the calls Sala makes
    #
    # Each takes the `kind` of the number ("meeting" or "webinar"): the paths differ, the
    # shapes hardly (a webinar's registrant create has no `auto_approve`, its batch no
    # `registrants_confirmation_email`).

    def get_meeting(self, meeting_id, kind=MEETING):
        return self.request("GET", resource_path(kind, meeting_id))

    def find_kind(self, meeting_id):
        """(kind, Zoom's description of it) for a number that may be a meeting or a
        webinar: asked as a meeting first, then as a webinar. Raises ZoomError
        (meeting_not_found when it is neither). An app with webinar scopes only is refused
        the meeting call: the webinar call still tells."""
        try:
            found = self.get_meeting(meeting_id, MEETING) or {}
        except ZoomError as exc:
            if exc.kind not in ("meeting_not_found", "scopes"):
                raise
            first = exc
        else:
            kind = WEBINAR if found.get("type") in WEBINAR_TYPES else MEETING
            return kind, found
        try:
            return WEBINAR, self.get_meeting(meeting_id, WEBINAR) or {}
        except ZoomError as exc:
            if first.kind == "scopes" and exc.kind in ("meeting_not_found", "scopes"):
                raise first from None  # the missing meeting scope is the news
            raise

    def add_registrant(self, meeting_id, email, first_name, last_name="", kind=MEETING):
        body = {
            "email": email,
            "first_name": first_name,
            "language": "en-US",  # Zoom has no Khmer; Sala sends its own mails anyway
        }
        if kind == MEETING:
            body["auto_approve"] = True  # a webinar approves as its settings say
        if last_name:
            body["last_name"] = last_name
        # Never twice inside one call: after a timeout or a 5xx the add may have worked, and
        # Zoom takes only 3 adds of one registrant a day. The caller looks them up instead.
        return self.request(
            "POST", resource_path(kind, meeting_id, "registrants"), body, retry_unclear=False
        )

    def find_registrant(self, meeting_id, email, kind=MEETING):
        """The meeting's approved registrant with this address, or None (page by page)."""
        wanted, token = email.strip().lower(), ""
        while True:
            params = {"status": "approved", "page_size": 300}
            if token:
                params["next_page_token"] = token
            page = self.request(
                "GET", resource_path(kind, meeting_id, "registrants"), params=params
            )
            page = page or {}
            for registrant in page.get("registrants") or []:
                if (registrant.get("email") or "").strip().lower() == wanted:
                    return {**registrant, "registrant_id": registrant.get("id")}
            token = page.get("next_page_token") or ""
            if not token:
                return None

    def add_registrants_batch(self, meeting_id, registrants, kind=MEETING):
        """Up to 30 {email, first_name, last_name} at once (scheduled meetings and
        webinars only)."""
        assert len(registrants) <= 30, "Zoom takes at most 30 registrants a call"
        body = {"auto_approve": True, "registrants": registrants}
        if kind == MEETING:
            body["registrants_confirmation_email"] = False
        return self.request("POST", resource_path(kind, meeting_id, "batch_registrants"), body)

    def cancel_registrants(self, meeting_id, registrants, kind=MEETING):
        """Cancel up to 30 registrants, given as {id, email}."""
        body = {"action": "cancel", "registrants": registrants}
        return self.request("PUT", resource_path(kind, meeting_id, "registrants", "status"), body)

    def delete_registrant(self, meeting_id, registrant_id, kind=MEETING):
        return self.request("DELETE", resource_path(kind, meeting_id, "registrants", registrant_id))

    def create_meeting(self, user, body, kind=MEETING):
        """Schedule a meeting (or, with kind "webinar", a webinar) hosted by `user`."""
        return self.request("POST", f"/users/{urllib.parse.quote(user, safe='@')}/{kind}s", body)

    # ------------------------------------------------------------ webinars only

    def add_panelists(self, webinar_id, panelists):
        """Up to 30 {email, name} as the webinar's panelists (Zoom answers without links)."""
        assert len(panelists) <= 30, "Zoom takes at most 30 panelists a call"
        return self.request(
            "POST", resource_path(WEBINAR, webinar_id, "panelists"), {"panelists": panelists}
        )

    def list_panelists(self, webinar_id):
        """The webinar's panelists, each with its id and own join_url."""
        answer = self.request("GET", resource_path(WEBINAR, webinar_id, "panelists")) or {}
        return answer.get("panelists") or []

    def remove_panelist(self, webinar_id, panelist_id):
        return self.request("DELETE", resource_path(WEBINAR, webinar_id, "panelists", panelist_id))

    def update_meeting(self, meeting_id, start_time, duration, timezone, kind=MEETING):
        """Move the meeting (or webinar): `start_time` in UTC ("2026-12-01T12:00:00Z"),
        `duration` in minutes, `timezone` the zone Zoom shows it in."""
        body = {"start_time": start_time, "duration": duration, "timezone": timezone}
        return self.request("PATCH", resource_path(kind, meeting_id), body)

    def delete_meeting(self, meeting_id, kind=MEETING):
        return self.request("DELETE", resource_path(kind, meeting_id))


def registrant_limited(response):
    body = response.body if isinstance(response.body, dict) else {}
    return classify(429, body.get("code"), str(body.get("message") or "")) == "registrant_limited"


def _headers(message):
    return {key.lower(): value for key, value in message.items()}


def _decode(raw):
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return {"message": raw[:300].decode(errors="replace")}


def split_name(name, email):
    """First and last name for Zoom (64 characters each), from one name field."""
    name = " ".join((name or "").split())
    if not name:
        name = email.split("@")[0]
    first, _sep, last = name.partition(" ")
    return first[:64], last[:64]
