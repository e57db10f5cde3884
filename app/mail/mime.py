"""Outbox rows as MIME messages: the headers and parts every provider sends."""

import base64
import functools
import re
import secrets


def to_mail_message(message, sender):
    """The outbox row as a Flask-Mail message, for code that wants Flask-Mail's object.
    The bundled providers send `to_mime` (the same parts, serialized faster)."""
    from flask_mail import Attachment, Message

    attachments = []
    for item in message.attachments or []:
        data = item["data"]
        data = base64.b64decode(data) if item.get("encoding") == "base64" else data.encode()
        attachments.append(Attachment(item["filename"], item["content_type"], data))
    return Message(
        subject=message.subject,
        recipients=[message.recipient],
        body=message.body_text,
        html=message.body_html or None,
        sender=sender,
        attachments=attachments,
        extra_headers={
            "Auto-Submitted": "auto-generated",
            "Content-Language": message.language,
            **dict(stored_headers(message)),
        },
    )


class MalformedMessage(ValueError):
    """A header would carry a line break, or an address cannot be written."""


def _header_value(value):
    if "\r" in value or "\n" in value:
        raise MalformedMessage(f"line break in a header: {value!r}")
    return value


def _text_header(name, value):
    """An unstructured header (Subject): RFC 2047 encoded when it is not ASCII."""
    from email.header import Header

    _header_value(value)
    if value.isascii() and len(value) + len(name) < 76:
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


# The common address: at most 254 characters, letters, digits and the usual punctuation @ a
# dotted domain of labels of letters, digits and hyphens (63 at most). Such an address is
# well formed (the worker skips the full, slower check) and goes into a header as it is;
# anything else takes the long way.
PLAIN_ADDRESS = re.compile(
    r"(?=.{1,254}\Z)[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}",
    re.ASCII,
)


@functools.lru_cache(maxsize=64)  # the sender, over and over
def _address_header(value):
    from email.utils import formataddr, parseaddr

    if PLAIN_ADDRESS.fullmatch(value):
        return value
    _header_value(value)
    name, address = parseaddr(value)
    if not address or "@" not in address:
        raise MalformedMessage(f"not an address: {value!r}")
    try:
        return formataddr((name, address), charset="utf-8")
    except (UnicodeError, ValueError) as exc:
        raise MalformedMessage(f"cannot write the address {value!r}: {exc}") from exc


# Stored in last_error; the outbox page shows it translated.
NO_SMTPUTF8 = "the mail server does not take addresses with non-ASCII letters before the @"


def deliverable_address(address):
    """(address, needs SMTPUTF8) to hand `address` to a mail server: a domain in its ASCII
    (IDNA) form, which every server takes (ü@exämple.com goes to ü@xn--exmple-cua.com); a
    local part with non-ASCII letters as it is, for a server that offers SMTPUTF8."""
    if address.isascii():
        return address, False
    from email_validator import EmailNotValidError, validate_email

    try:
        valid = validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        raise MalformedMessage(f"malformed address: {exc}") from exc
    if valid.ascii_email:
        return valid.ascii_email, False
    return f"{valid.local_part}@{valid.ascii_domain}", True


def _recipient_header(address):
    """The To header; an address that needs SMTPUTF8 is written in UTF-8 (RFC 6532)."""
    return _address_header(address) if address.isascii() else _header_value(address)


# A mail-out sends the same text to thousands (rendered once per language): its parts are
# encoded once. The key is the text itself, so a hit is exact.
@functools.lru_cache(maxsize=16)
def _body_part(content_type, text):
    """A text part: 7bit when it is short-lined ASCII, base64 otherwise (Khmer, long lines)."""
    data = text.replace("\r\n", "\n").encode("utf-8")
    lines = data.split(b"\n")
    if data.isascii() and max(map(len, lines)) <= 900:
        encoding, body = "7bit", b"\r\n".join(lines)
    else:
        encoding = "base64"
        body = base64.encodebytes(data).replace(b"\n", b"\r\n").rstrip(b"\r\n")
    head = f'Content-Type: {content_type}; charset="utf-8"\r\nContent-Transfer-Encoding: {encoding}'
    return head.encode() + b"\r\n\r\n" + body


def _attachment_part(item):
    from email.utils import encode_rfc2231

    data = item["data"]
    raw = base64.b64decode(data) if item.get("encoding") == "base64" else data.encode("utf-8")
    filename = _header_value(item["filename"])
    if filename.isascii() and '"' not in filename:
        disposition = f'attachment; filename="{filename}"'
    else:
        disposition = f"attachment; filename*={encode_rfc2231(filename, 'utf-8')}"
    head = (
        f"Content-Type: {_header_value(item['content_type'])}\r\n"
        f"Content-Disposition: {disposition}\r\nContent-Transfer-Encoding: base64"
    )
    body = base64.encodebytes(raw).replace(b"\n", b"\r\n").rstrip(b"\r\n")
    return head.encode() + b"\r\n\r\n" + body


def _multipart(subtype, parts):
    # base64 and 7bit template text cannot contain "=_": the boundary never collides.
    boundary = f"=_sala_{secrets.token_hex(12)}"
    head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode()
    sep = f"\r\n--{boundary}\r\n".encode()
    return (
        head
        + b"\r\n\r\n"
        + sep.lstrip(b"\r\n")
        + sep.join(parts)
        + f"\r\n--{boundary}--\r\n".encode()
    )


def message_id(message, domain):
    """The Message-ID of an outbox row: the same on every attempt, so a receiver that gets
    a message twice (a worker died after handing it over and an organizer sent it again)
    can tell it is one. The row's id, and a digest of its idempotency key and creation
    time, which tells two Sala instances' messages apart without showing the key."""
    import hashlib

    created = message.created_at.isoformat() if message.created_at else ""
    digest = hashlib.sha256(f"{message.idempotency_key}\0{created}".encode()).hexdigest()
    return f"<sala.{message.id}.{digest[:20]}@{domain}>"


# Headers a caller of enqueue may add; addresses among them are written as addresses.
STORED_HEADERS = ("Reply-To", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post")


def stored_headers(message):
    """[(name, value)] of the extra headers kept on the outbox row (Reply-To, List-*)."""
    stored = getattr(message, "headers", None) or {}
    found = []
    for name in STORED_HEADERS:
        if stored.get(name):
            value = stored[name]
            value = _address_header(value) if name == "Reply-To" else _header_value(value)
            found.append((name, value))
    return found


def to_mime(message, sender, domain=None, recipient=None):
    """(Message-ID, bytes) of an outbox row as a MIME message: a plain-text part, the HTML
    alternative, and attachments; CRLF line ends, ready for SMTP or an .eml file. Addressed
    to `recipient`, by default the row's recipient as `deliverable_address` writes it.

    Written here rather than with the email package's generator (what Flask-Mail uses),
    which spends several milliseconds per message re-parsing its own headers: more than the
    SMTP exchange itself when a bulk mail goes out."""
    from email.utils import formatdate

    recipient = recipient or deliverable_address(message.recipient)[0]
    domain = domain or (sender.rpartition("@")[2].strip(" >") or "localhost")
    mime_id = message_id(message, domain)
    parts = [_body_part("text/plain", message.body_text)]
    if message.body_html:
        parts.append(_body_part("text/html", message.body_html))
    body = _multipart("alternative", parts) if len(parts) > 1 else parts[0]
    if message.attachments:
        attachments = [_attachment_part(item) for item in message.attachments]
        body = _multipart("mixed", [body, *attachments])
    headers = [
        ("From", _address_header(sender)),
        ("To", _recipient_header(recipient)),
        ("Subject", _text_header("Subject", message.subject)),
        ("Date", formatdate(usegmt=True)),
        ("Message-ID", mime_id),
        ("MIME-Version", "1.0"),
        ("Auto-Submitted", "auto-generated"),
        ("Content-Language", _header_value(message.language)),
    ]
    headers.extend(stored_headers(message))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    head = head.encode("ascii" if recipient.isascii() else "utf-8")
    return mime_id, head + body
