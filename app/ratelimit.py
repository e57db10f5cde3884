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
