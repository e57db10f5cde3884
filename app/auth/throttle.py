"""Sign-in throttling by (account, client address), with growing waits.

An account is never locked for everyone: only the address that keeps failing for that
account waits, first LOGIN_THROTTLE_FIRST_WAIT seconds after LOGIN_THROTTLE_FAILURES
failures, then twice as long after each further failure (at most LOGIN_THROTTLE_MAX_WAIT).
The right password from any other address still opens the account, so nobody can keep the
moderators out by typing wrong passwords for them.

The counters live in the rate-limit storage (memory, or Redis with several app servers),
never in the database, under a keyed hash of the pair: neither the address nor the email
is kept in clear."""

import math
import time

from flask import current_app, request
from limits.storage import storage_from_string

from ..ratelimit import keyed_hash

WINDOW = 24 * 3600  # failures are counted over a day from the first one


def storage():
    app = current_app._get_current_object()
    store = app.extensions.get("sala.login_throttle")
    if store is None:
        store = app.extensions["sala.login_throttle"] = storage_from_string(
            app.config["RATELIMIT_STORAGE_URI"]
        )
    return store


def pair_key(account):
    """The storage key of (account, this request's client address): a keyed hash."""
    pair = f"{account.strip().lower()}\0{request.remote_addr or ''}"
    return f"sala-login:{keyed_hash(pair, 40)}"


def wait_after(failures):
    """Seconds to wait after `failures` failures in a row from one pair (0: none)."""
    config = current_app.config
    free = config["LOGIN_THROTTLE_FAILURES"]
    if failures < free:
        return 0
    wait = config["LOGIN_THROTTLE_FIRST_WAIT"] * 2 ** min(failures - free, 20)
    return min(wait, config["LOGIN_THROTTLE_MAX_WAIT"])


def seconds_to_wait(account):
    """How long this address must still wait before trying `account` again (0: it may)."""
    key = pair_key(account)
    if storage().get(key + ":wait") <= 0:
        return 0
    return max(1, math.ceil(storage().get_expiry(key + ":wait") - time.time()))


def minutes_to_wait(account):
    seconds = seconds_to_wait(account)
    return math.ceil(seconds / 60) if seconds else 0


def note_failure(account):
    """Count a failed attempt of this pair, and start its wait when it has failed enough."""
    key = pair_key(account)
    failures = storage().incr(key, WINDOW)
    wait = wait_after(failures)
    if wait:
        storage().clear(key + ":wait")
        storage().incr(key + ":wait", wait)


def forget_failures(account):
    """A success from this pair starts its count again."""
    key = pair_key(account)
    storage().clear(key)
    storage().clear(key + ":wait")
