"""A fake Zoom for the tests: a real HTTP server on 127.0.0.1 serving /oauth/token and the
/v2 paths the Zoom plugin uses.

It checks every request against Zoom's own OpenAPI description in tests/zoom/api/ (the
request body against the operation's request schema, path parameters against theirs, the
Bearer token against those it issued) and answers with bodies that it checks in turn against
the response schemas, so the plugin is tested against Zoom's contract. A request Zoom would
reject is answered 400 as Zoom would, and recorded in `violations`: the fixture asserts there
are none at teardown.

Meetings (`add_meeting`) and webinars (`add_webinar`) share Zoom's numbering but not its
paths: a webinar's number asked for under /meetings is "not found", and the other way round,
as on Zoom. A webinar approves registrants automatically only when its `approval_type` is 0
(its registrant create takes no `auto_approve`), and its panelists each get their own join
link (`panelists` of a webinar, read back with its list call).

A property Zoom's request schema does not name is a violation too: Zoom ignores it, so a
plugin relying on it (say `auto_approve` on a webinar registrant) would be relying on nothing.

It can be told to fail: `fail(operation, kind, times=1, ...)` with kind "500", "503",
"429" (with `retry_after=` a header value, or none), "slow" (answers after `delay` seconds,
having done the work), "3043" (meeting full), "404-registration" (registration not enabled);
`revoke_tokens()` makes every token issued so far "old" (401, code 124).
"""

import base64
import contextlib
import json
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jsonschema

SPEC_FILE = Path(__file__).resolve().parent / "zoom" / "api" / "zoom-meeting-api-v2.subset.json"

_SPEC = None


def load_spec():
    """Zoom's OpenAPI file, kept with the tests (its source: tests/zoom/api/README.md)."""
    global _SPEC
    if _SPEC is None:
        _SPEC = json.loads(SPEC_FILE.read_text())
    return _SPEC


def _rfc3339(value):
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        return False
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


FORMATS = jsonschema.FormatChecker()
FORMATS.checks("date-time", raises=ValueError)(_rfc3339)


def inline_refs(node, spec, depth=0):
    """The schema with every local `$ref` ("#/components/...") replaced by its target."""
    if depth > 50:
        raise RuntimeError("$ref nesting too deep in Zoom's schema")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target = spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            return inline_refs(target, spec, depth + 1)
        return {key: inline_refs(value, spec, depth) for key, value in node.items()}
    if isinstance(node, list):
        return [inline_refs(item, spec, depth) for item in node]
    return node


def undeclared(schema, value, where=""):
    """Paths of the object properties in `value` that `schema` does not name."""
    if not isinstance(schema, dict):
        return []
    parts = [schema] + [s for s in schema.get("allOf") or [] if isinstance(s, dict)]
    if isinstance(value, dict):
        named = {}
        for part in parts:
            named.update(part.get("properties") or {})
        if not named or any("additionalProperties" in part for part in parts):
            return []
        found = []
        for key, item in value.items():
            if key not in named:
                found.append(f"{where}{key}")
            else:
                found += undeclared(named[key], item, f"{where}{key}/")
        return found
    if isinstance(value, list):
        items = schema.get("items")
        return [p for i, item in enumerate(value) for p in undeclared(items, item, f"{where}{i}/")]
    return []


_VALIDATORS = {}


def validator_for(schema):
    """OpenAPI 3.0 schemas are close to JSON Schema draft 4; `$ref`s resolved first."""
    key = id(schema)
    if key not in _VALIDATORS:
        resolved = inline_refs(schema, load_spec())
        _VALIDATORS[key] = jsonschema.Draft4Validator(resolved, format_checker=FORMATS)
    return _VALIDATORS[key]


@dataclass
class Failure:
    operation: str  # an operationId, "token", or "*"
    kind: str
    times: int = 1
    retry_after: str | None = None
    delay: float = 0.0
    email: str | None = None  # only for this registrant (the request body's email)


@dataclass
class Call:
    method: str
    path: str
    operation: str
    body: object
    status: int = 0
    headers: dict = field(default_factory=dict)


class FakeZoom:
    ACCOUNT_ID = "acct-test-1"
    CLIENT_ID = "client-test-1"
    CLIENT_SECRET = "secret-test-do-not-print"

    def __init__(self):
        spec = load_spec()
        self.routes = []
        for template, methods in spec["paths"].items():
            pattern = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"
            for method, operation in methods.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    self.routes.append((method.upper(), re.compile(pattern), template, operation))
        self.lock = threading.RLock()
        self.meetings = {}
        self.tokens = {}  # token -> valid
        self.token_requests = 0
        self.failures = []
        self.during = {}  # operationId -> a function run once while that request is handled
        self.violations = []
        self.calls = []
        self.scope = "meeting:read:admin meeting:write:admin"
        self.expires_in = 3599
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # ------------------------------------------------------------ control

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    @property
    def config(self):
        """Settings pointing the plugin here."""
        return {
            "ZOOM_ACCOUNT_ID": self.ACCOUNT_ID,
            "ZOOM_CLIENT_ID": self.CLIENT_ID,
            "ZOOM_CLIENT_SECRET": self.CLIENT_SECRET,
            "ZOOM_API_BASE": self.url + "/v2",
            "ZOOM_OAUTH_URL": self.url + "/oauth/token",
        }

    def scheduled(self, first_number, type, topic, **more):
        """A new meeting or webinar's number, with what Zoom answers for both kinds."""
        number = first_number + len(self.meetings) + secrets.randbelow(10_000_000)
        self.meetings[number] = {
            "id": number,
            "uuid": base64.b64encode(secrets.token_bytes(16)).decode(),
            "topic": topic,
            "type": type,
            "start_time": "2026-12-01T12:00:00Z",
            "duration": 120,
            "timezone": "Asia/Phnom_Penh",
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "join_url": f"https://zoom.example/j/{number}",
            "password": "s4la",
            "host_id": "host-1",
            "host_email": "host@example.org",
            **more,
        }
        return number

    def add_meeting(self, type=2, approval_type=0, topic="Strategic planning", confirmation=False):
        number = self.scheduled(80000000000, type, topic, status="waiting")
        self.meetings[number].update(
            {
                "settings": {
                    "approval_type": approval_type,
                    "registrants_confirmation_email": confirmation,
                },
                "registrants": {},  # id -> {email, first_name, last_name, status, join_url}
                "adds": {},  # email -> number of registrant creations (Zoom allows 3 a day)
                "kind": "meeting",
            }
        )
        return str(number)

    def add_webinar(
        self,
        type=5,
        approval_type=0,
        topic="Strategic planning",
        confirmation=False,
        panelist_invitation=False,
    ):
        """A webinar, shaped as Zoom's "Get a webinar" answers it."""
        number = self.scheduled(90000000000, type, topic)
        self.meetings[number].update(
            {
                "settings": {
                    "approval_type": approval_type,
                    "registrants_confirmation_email": confirmation,
                    "registrants_email_notification": confirmation,
                    "panelists_invitation_email_notification": panelist_invitation,
                },
                "registrants": {},
                "adds": {},
                "panelists": {},  # id -> {email, name, join_url}
                "kind": "webinar",
            }
        )
        return str(number)

    def panelists(self, webinar_id):
        return list(self.meetings[int(webinar_id)]["panelists"].values())

    def registrants(self, meeting_id, status=None):
        regs = self.meetings[int(meeting_id)]["registrants"].values()
        return [r for r in regs if status is None or r["status"] == status]

    def fail(self, operation, kind, times=1, retry_after=None, delay=0.0, email=None):
        with self.lock:
            self.failures.append(Failure(operation, kind, times, retry_after, delay, email))

    def revoke_tokens(self):
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = False

    def calls_to(self, operation):
        return [c for c in self.calls if c.operation == operation]

    def assert_no_violations(self):
        assert self.violations == [], "requests Zoom would reject:\n" + "\n".join(self.violations)

    # ------------------------------------------------------------ serving

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, body = fake.handle(self.command, self.path, self.headers, raw)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                # The client may have given up (a slow answer beyond its timeout).
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        return Handler

    def _take_failure(self, operation, body=None):
        email = (body or {}).get("email") if isinstance(body, dict) else None
        with self.lock:
            for failure in self.failures:
                if failure.email is not None and failure.email != email:
                    continue
                if failure.operation in (operation, "*") and failure.times > 0:
                    failure.times -= 1
                    return failure
        return None

    def handle(self, method, target, headers, raw):
        parsed = urllib.parse.urlsplit(target)
        path = parsed.path
        if path == "/oauth/token":
            return self.token(method, headers, raw, parsed.query)
        if not path.startswith("/v2/"):
            return 404, {}, {"code": 404, "message": "Not found"}
        path = path[3:]
        operation, match = self.route(method, path)
        if operation is None:
            self.violations.append(f"{method} {path}: no such operation in Zoom's API")
            return 404, {}, {"code": 404, "message": "Not found"}
        op_id = operation["operationId"]
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                self.violations.append(f"{op_id}: body is not JSON")
                return 400, {}, {"code": 300, "message": "Invalid request body"}
        call = Call(method, path, op_id, body)
        with self.lock:
            self.calls.append(call)

        auth = headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else ""
        if not self.tokens.get(token):
            return self._answer(call, 401, {"code": 124, "message": "Invalid access token."})

        problems = self.check_request(operation, match.groupdict(), body)
        if problems:
            self.violations.extend(f"{op_id}: {p}" for p in problems)
            return self._answer(call, 400, {"code": 300, "message": "; ".join(problems)[:300]})

        callback = self.during.pop(op_id, None)
        if callback is not None:
            callback()
        failure = self._take_failure(op_id, body)
        if failure is not None:
            if failure.kind == "slow":
                time.sleep(failure.delay)
            else:
                return self._answer(call, *self.failure_answer(failure))

        # Query parameters beside the path's (the list calls page with them).
        params = {**dict(urllib.parse.parse_qsl(parsed.query)), **match.groupdict()}
        status, response = getattr(self, "op_" + op_id)(params, body or {})
        extra = {}
        if isinstance(response, tuple):
            response, extra = response
        self.check_response(operation, status, response)
        return self._answer(call, status, response, extra)

    def route(self, method, path):
        for route_method, pattern, _template, operation in self.routes:
            match = pattern.match(path)
            if route_method == method and match:
                return operation, match
        return None, None

    def _answer(self, call, status, body, headers=None):
        call.status = status
        call.headers = headers or {}
        return status, headers or {}, body

    def failure_answer(self, failure):
        kind = failure.kind
        if kind in ("500", "502", "503"):
            return int(kind), {"code": int(kind), "message": "Service unavailable"}
        if kind == "429":
            headers = {"X-RateLimit-Category": "Light", "X-RateLimit-Type": "QPS"}
            if failure.retry_after is not None:
                headers["Retry-After"] = failure.retry_after
            return (
                429,
                {
                    "code": 429,
                    "message": "You have reached the maximum per-second "
                    "rate limit for this API. Try again later.",
                },
                headers,
            )
        if kind == "429-registrant":  # Zoom's limit of adds of one registrant a day
            return (
                429,
                {
                    "code": 429,
                    "message": "You have exceeded the daily rate limit of (3) for Add meeting "
                    "registrant API requests for the registrant (registrant). You can resume "
                    "these API requests at GMT 00:00:00.",
                },
                {"X-RateLimit-Category": "Medium", "X-RateLimit-Type": "Daily-limit"},
            )
        if kind == "3043":
            return 400, {"code": 3043, "message": "Meeting has reached maximum attendee capacity."}
        if kind == "404-registration":
            return 404, {
                "code": 404,
                "message": "Registration has not been enabled for this meeting: 0.",
            }
        raise ValueError(kind)

    def check_request(self, operation, params, body):
        problems = []
        for parameter in operation.get("parameters") or []:
            if parameter.get("in") != "path":
                continue
            value = params.get(parameter["name"])
            schema = parameter.get("schema") or {}
            if schema.get("type") == "integer" and not (value or "").isdigit():
                problems.append(f"path parameter {parameter['name']}={value!r} is not an integer")
        request_body = operation.get("requestBody")
        if request_body:
            if body is None:
                if request_body.get("required"):
                    problems.append("request body required")
            else:
                schema = request_body["content"]["application/json"]["schema"]
                for error in validator_for(schema).iter_errors(body):
                    where = "/".join(str(p) for p in error.absolute_path)
                    problems.append(f"{where or '(body)'}: {error.message}")
                problems += [
                    f"{where}: not in Zoom's schema (Zoom ignores it)"
                    for where in undeclared(inline_refs(schema, load_spec()), body)
                ]
        elif body is not None:
            problems.append("this operation takes no body")
        return problems

    def check_response(self, operation, status, body):
        """Our own answers must be shaped like Zoom's too."""
        if body is None:
            return
        response = operation["responses"].get(str(status)) or {}
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        if schema is None:
            return
        for error in validator_for(schema).iter_errors(body):
            self.violations.append(f"fake's own {operation['operationId']} answer: {error.message}")

    # ------------------------------------------------------------ OAuth

    def token(self, method, headers, raw, query):
        self.token_requests += 1
        failure = self._take_failure("token")
        if failure is not None:
            if failure.kind == "slow":
                time.sleep(failure.delay)
            else:
                status, body, *rest = self.failure_answer(failure)
                return status, (rest[0] if rest else {}), body
        form = urllib.parse.parse_qs(raw.decode() or query)
        if method != "POST" or form.get("grant_type") != ["account_credentials"]:
            self.violations.append(f"token request: {method} {form}")
            return 400, {}, {"reason": "unsupported grant type", "error": "invalid_request"}
        expected = base64.b64encode(f"{self.CLIENT_ID}:{self.CLIENT_SECRET}".encode()).decode()
        if headers.get("Authorization") != f"Basic {expected}":
            return (
                400,
                {},
                {"reason": "Invalid client_id or client_secret", "error": "invalid_client"},
            )
        if form.get("account_id") != [self.ACCOUNT_ID]:
            return 400, {}, {"reason": "Invalid account_id", "error": "invalid_request"}
        token = "tok-" + secrets.token_hex(8)
        with self.lock:
            self.tokens[token] = True
        return (
            200,
            {},
            {
                "access_token": token,
                "token_type": "bearer",
                "expires_in": self.expires_in,
                "scope": self.scope,
                "api_url": self.url,
            },
        )

    # ------------------------------------------------------------ operations

    def _meeting(self, params):
        """The meeting (never a webinar: Zoom keeps them apart) the path names, or None."""
        found = self.meetings.get(int(params["meetingId"]))
        return found if found is not None and found["kind"] == "meeting" else None

    def _webinar(self, params):
        found = self.meetings.get(int(params["webinarId"]))
        return found if found is not None and found["kind"] == "webinar" else None

    @staticmethod
    def _not_found(params):
        if "webinarId" in params:
            return 404, {
                "code": 3001,
                "message": f"Webinar {params['webinarId']} not found or has expired.",
            }
        return 404, {"code": 3001, "message": f"Meeting does not exist: {params['meetingId']}."}

    @staticmethod
    def _public(meeting):
        return {
            k: v
            for k, v in meeting.items()
            if k not in ("registrants", "adds", "kind", "panelists", "created_body")
        }

    def op_meeting(self, params, body):
        meeting = self._meeting(params)
        if meeting is None:
            return self._not_found(params)
        return 200, self._public(meeting)

    def op_meetingCreate(self, params, body):
        number = self.add_meeting(
            type=body.get("type", 2),
            approval_type=(body.get("settings") or {}).get("approval_type", 2),
            topic=body.get("topic", ""),
            confirmation=(body.get("settings") or {}).get("registrants_confirmation_email", True),
        )
        meeting = self.meetings[int(number)]
        for key in ("start_time", "duration", "timezone", "agenda"):
            if key in body:
                meeting[key] = body[key]
        meeting["created_body"] = body
        return 201, self._public(meeting)

    def _register(self, meeting, person, approved=True):
        email = person["email"].lower()
        meeting["adds"][email] = meeting["adds"].get(email, 0) + 1
        if meeting["adds"][email] > 3:
            return None  # Zoom: at most 3 times a day for one registrant
        for registrant_id, registrant in meeting["registrants"].items():
            if registrant["email"].lower() == email:
                if approved:
                    registrant["status"] = "approved"
                return registrant_id, registrant
        registrant_id = secrets.token_urlsafe(16)
        registrant = {
            "email": person["email"],
            "first_name": person.get("first_name", ""),
            "last_name": person.get("last_name", ""),
            "language": person.get("language", ""),
            "status": "approved" if approved else "pending",
            "join_url": f"https://zoom.example/w/{meeting['id']}?tk={secrets.token_urlsafe(12)}",
        }
        meeting["registrants"][registrant_id] = registrant
        return registrant_id, registrant

    def _registration_problem(self, meeting, params):
        if meeting is None:
            return self._not_found(params)
        if meeting["settings"]["approval_type"] == 2:
            return 404, {
                "code": 404,
                "message": f"Registration has not been enabled for this meeting: {meeting['id']}.",
            }
        return None

    def op_meetingRegistrants(self, params, body, found=None):
        """The meeting's registrants with a status (approved by default), paged by a token."""
        meeting = found or self._meeting(params)
        if meeting is None:
            return self._not_found(params)
        status = params.get("status", "approved")
        size = min(int(params.get("page_size") or 30), 300)
        start = int(params.get("next_page_token") or 0)
        found = [
            {"id": registrant_id, **{k: v for k, v in r.items() if v != ""}}
            for registrant_id, r in meeting["registrants"].items()
            if r["status"] == status
        ]
        page = found[start : start + size]
        more = start + size < len(found)
        return 200, {
            "page_size": size,
            "total_records": len(found),
            "next_page_token": str(start + size) if more else "",
            "registrants": page,
        }

    def op_meetingRegistrantCreate(self, params, body):
        meeting = self._meeting(params)
        problem = self._registration_problem(meeting, params)
        if problem:
            return problem
        added = self._register(meeting, body)
        if added is None:
            return 429, {
                "code": 429,
                "message": "You have exceeded the daily rate limit of "
                "3 for Add meeting registrant API requests for the registrant.",
            }
        registrant_id, registrant = added
        return 201, {
            "id": meeting["id"],
            "join_url": registrant["join_url"],
            "registrant_id": registrant_id,
            "start_time": meeting["start_time"],
            "topic": meeting["topic"],
            "occurrences": [],
        }

    def op_addBatchRegistrants(self, params, body):
        meeting = self._meeting(params)
        problem = self._registration_problem(meeting, params)
        if problem:
            return problem
        people = body.get("registrants") or []
        if len(people) > 30:
            self.violations.append(f"addBatchRegistrants: {len(people)} registrants (max 30)")
            return 400, {"code": 300, "message": "At most 30 registrants."}
        if meeting["type"] != 2:
            return 400, {
                "code": 303,
                "message": "This API can only be used for scheduled meeting(meeting type: 2).",
            }
        answer = []
        for person in people:
            added = self._register(meeting, person)
            if added:
                registrant_id, registrant = added
                answer.append(
                    {
                        "email": person["email"],
                        "join_url": registrant["join_url"],
                        "registrant_id": registrant_id,
                    }
                )
        return 200, {"registrants": answer}

    def op_meetingRegistrantStatus(self, params, body, found=None):
        meeting = found or self._meeting(params)
        problem = None if found else self._registration_problem(meeting, params)
        if problem:
            return problem
        status = {"approve": "approved", "cancel": "cancelled", "deny": "denied"}[body["action"]]
        for wanted in body.get("registrants") or []:
            for registrant_id, registrant in meeting["registrants"].items():
                if wanted.get("id") == registrant_id or (
                    wanted.get("email") and wanted["email"].lower() == registrant["email"].lower()
                ):
                    registrant["status"] = status
        return 204, None

    def op_meetingUpdate(self, params, body):
        meeting = self._meeting(params)
        if meeting is None:
            return self._not_found(params)
        for key in ("start_time", "duration", "timezone", "topic", "agenda"):
            if key in body:
                meeting[key] = body[key]
        return 204, None

    def op_meetingDelete(self, params, body):
        if self.meetings.pop(int(params["meetingId"]), None) is None:
            return self._not_found(params)
        return 204, None

    def op_meetingregistrantdelete(self, params, body):
        meeting = self._meeting(params)
        if meeting is None:
            return self._not_found(params)
        if meeting["registrants"].pop(params["registrantId"], None) is None:
            return 404, {"code": 3001, "message": "Registrant not found."}
        return 204, None

    # ------------------------------------------------------------ webinars

    def op_webinar(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        return 200, self._public(webinar)

    def op_webinarCreate(self, params, body):
        settings = body.get("settings") or {}
        number = self.add_webinar(
            type=body.get("type", 5),
            approval_type=settings.get("approval_type", 2),
            topic=body.get("topic", ""),
            confirmation=settings.get("registrants_email_notification", True),
            panelist_invitation=settings.get("panelists_invitation_email_notification", True),
        )
        webinar = self.meetings[int(number)]
        for key in ("start_time", "duration", "timezone", "agenda"):
            if key in body:
                webinar[key] = body[key]
        webinar["created_body"] = body
        return 201, self._public(webinar)

    def _webinar_registration_problem(self, webinar, params):
        if webinar is None:
            return self._not_found(params)
        if webinar["settings"]["approval_type"] == 2:
            return 400, {
                "code": 3000,
                "message": f"This webinar does not have registration as required: {webinar['id']}.",
            }
        return None

    def op_webinarRegistrants(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        return self.op_meetingRegistrants({**params, "meetingId": "0"}, body, found=webinar)

    def op_webinarRegistrantCreate(self, params, body):
        """Approved (with a join_url) only when the webinar approves automatically: this
        call, unlike the meeting's, has no `auto_approve`."""
        webinar = self._webinar(params)
        problem = self._webinar_registration_problem(webinar, params)
        if problem:
            return problem
        approved = webinar["settings"]["approval_type"] == 0
        added = self._register(webinar, body, approved=approved)
        if added is None:
            return 429, {
                "code": 429,
                "message": "You have exceeded the daily rate limit of "
                "3 for Add a webinar registrant API requests for the registrant.",
            }
        registrant_id, registrant = added
        answer = {
            "id": str(webinar["id"]),
            "registrant_id": registrant_id,
            "start_time": webinar["start_time"],
            "topic": webinar["topic"],
        }
        if registrant["status"] == "approved":
            answer["join_url"] = registrant["join_url"]
        return 201, answer

    def op_addBatchWebinarRegistrants(self, params, body):
        webinar = self._webinar(params)
        problem = self._webinar_registration_problem(webinar, params)
        if problem:
            return problem
        people = body.get("registrants") or []
        if len(people) > 30:
            self.violations.append(f"addBatchWebinarRegistrants: {len(people)} (max 30)")
            return 400, {"code": 300, "message": "At most 30 registrants."}
        if webinar["type"] != 5:
            return 400, {
                "code": 300,
                "message": "This API can only be used for scheduled webinars (type 5).",
            }
        approved = bool(body.get("auto_approve")) or webinar["settings"]["approval_type"] == 0
        answer = []
        for person in people:
            added = self._register(webinar, person, approved=approved)
            if added:
                registrant_id, registrant = added
                item = {"email": person["email"], "registrant_id": registrant_id}
                if registrant["status"] == "approved":
                    item["join_url"] = registrant["join_url"]
                answer.append(item)
        return 200, {"registrants": answer}

    def op_webinarRegistrantStatus(self, params, body):
        webinar = self._webinar(params)
        problem = self._webinar_registration_problem(webinar, params)
        if problem:
            return problem
        return self.op_meetingRegistrantStatus(params, body, found=webinar)

    def op_deleteWebinarRegistrant(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        if webinar["registrants"].pop(params["registrantId"], None) is None:
            return 400, {"code": 300, "message": "Registrant not found."}
        return 204, None

    def op_webinarPanelists(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        panelists = [{"id": pid, **p} for pid, p in webinar["panelists"].items()]
        return 200, {"panelists": panelists, "total_records": len(panelists)}

    def op_webinarPanelistCreate(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        people = body.get("panelists") or []
        if len(people) > 30:
            self.violations.append(f"webinarPanelistCreate: {len(people)} panelists (max 30)")
            return 400, {"code": 300, "message": "At most 30 panelists."}
        for person in people:
            if not person.get("email") or not person.get("name"):
                self.violations.append("webinarPanelistCreate: a panelist without email or name")
                return 400, {"code": 300, "message": "Email and name are required."}
        for person in people:
            email = person["email"].lower()
            known = next(
                (p for p in webinar["panelists"].values() if p["email"].lower() == email), None
            )
            if known is not None:
                known["name"] = person["name"]
                continue
            panelist_id = secrets.token_urlsafe(12)
            webinar["panelists"][panelist_id] = {
                "email": person["email"],
                "name": person["name"],
                "join_url": f"https://zoom.example/w/{webinar['id']}?tk=p{secrets.token_urlsafe(12)}",
            }
        return 201, {
            "id": str(webinar["id"]),
            "updated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }

    def op_webinarPanelistDelete(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        if webinar["panelists"].pop(params["panelistId"], None) is None:
            return 404, {"code": 3001, "message": "Panelist not found."}
        return 204, None

    def op_webinarPanelistsDelete(self, params, body):
        webinar = self._webinar(params)
        if webinar is None:
            return self._not_found(params)
        webinar["panelists"].clear()
        return 204, None
