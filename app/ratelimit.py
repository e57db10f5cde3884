"""Rate limits that name nobody, and a cap on the mail one mailbox can be sent.

Every key Flask-Limiter keeps (in memory or in Redis, for its window) holds a keyed hash
(HMAC with the secret key) of an address or a link token, never the value itself: a Redis
dump must not say who registered, nor from where.

The public forms that send mail to an address somebody typed (registration, ideas, "send
me my link") share one cap per mailbox and hour. Past it they answer exactly as usual and
send nothing: a 429 would tell a stranger that the address is in use, and would lock the
owner out of their own registration."""

import hashlib
import hmac

import flask_limiter
from flask import current_app, request
from limits import parse

# Gmail delivers john.smith@, johnsmith@ and j.o.h.n.smith@ (and @googlemail.com) to one
# inbox: without folding the dots, one mailbox has thousands of spellings to flood it with.
DOTLESS_DOMAINS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def keyed_hash(value, length=32):
    """A short HMAC of `value` under the secret key (`length` hex digits): the same value
    gives the same key, and nobody without the key can test a guess against it."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:length]


def normalized_mailbox(email):
    """The mailbox an address reaches: lowercased, without a `+tag` (delivered to the same
    inbox by nearly every provider), and without dots where the provider ignores them."""
    local, _at, domain = (email or "").strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
        domain = DOTLESS_DOMAINS[domain]
    return f"{local}@{domain}"


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter, without its limit resolution on requests no limit can apply to.

    Before each request it works out which limits apply (application-wide, default and
    blueprint limits, limits an endpoint was hinted at); our limits are all on the views
    themselves (`@limiter.limit`), which their decorator checks as the view is called. So
    when none of those kinds exists, the check before the request has nothing to count, and
    a GET of a public page (the cached session page) skips it: no limit is weakened, the
    same requests are counted."""

    def _check_request_limit(self, callable_name=None, in_middleware=True):
        if in_middleware and self._nothing_before_request(self.identify_request()):
            return
        super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)

    def _nothing_before_request(self, endpoint):
        manager = self.limit_manager
        return not (
            manager._application_limits
            or manager._default_limits
            or manager._blueprint_limits
            or self._meta_limits
            or self._storage_dead
            or (endpoint and manager.has_hints(endpoint))
        )


def remote_address_key():
    """Flask-Limiter's key for "one visitor": their address, hashed."""
    return "ip:" + keyed_hash(request.remote_addr or "")


def token_key(prefix, token):
    """A key for "one secret link" (a manage or confirmation token), hashed."""
    return f"{prefix}:{keyed_hash((token or '')[:100])}"


def mailbox_may_receive(email):
    """Count one mail to the mailbox behind `email` and say whether it may go out (False
    past MAILBOX_MAIL_LIMIT). Always True with rate limiting off."""
    from .extensions import limiter

    config = current_app.config
    if not config.get("RATELIMIT_ENABLED", True) or not limiter.enabled:
        return True
    item = parse(config["MAILBOX_MAIL_LIMIT"])
    prefix = config.get("RATELIMIT_KEY_PREFIX") or "sala"
    return limiter.limiter.hit(item, prefix, "mailbox", keyed_hash(normalized_mailbox(email)))
