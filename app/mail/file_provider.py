"""The embedded default email provider: each mail is written as an .eml file under
instance/mail/, for development and for trying Sala without a mail server. The path is
printed, so a person can open the mail in any mail program.

It is an internal plugin: it implements the same hook as plugins/smtp."""

import logging
import os
import tempfile
from pathlib import Path

from ..plugins import hookimpl
from ..private_files import private_dir, write_private_file

log = logging.getLogger("sala.mail")


def unwritable(directory, exc):
    from flask_babel import gettext as _

    return _(
        "Mail files cannot be written to %(path)s (%(reason)s). Make the folder writable "
        "by the user Sala runs as, or set MAIL_FILE_DIR to one that is.",
        path=directory,
        reason=exc.strerror or exc,
    )


class FileConnection:
    def __init__(self, directory, sender):
        self.directory = directory
        self.sender = sender

    def __enter__(self):
        from .outbox import ConnectionLost

        try:
            private_dir(self.directory)
            # A folder that exists but takes no file fails here, once, with the reason,
            # rather than every message failing one by one.
            tempfile.NamedTemporaryFile(dir=self.directory, prefix=".probe-").close()
        except OSError as exc:
            raise ConnectionLost(unwritable(self.directory, exc)) from exc
        return self

    def __exit__(self, *exc):
        return False

    def send(self, message):
        from .mime import MalformedMessage, to_mime
        from .outbox import ConnectionLost, PermanentFailure

        path = self.directory / f"{message.id:08d}-{message.kind or 'mail'}.eml"
        try:
            _message_id, data = to_mime(message, self.sender)
        except MalformedMessage as exc:
            raise PermanentFailure(str(exc)) from exc
        partial = path.with_suffix(".eml.part")
        try:  # written whole or not at all: a reader never opens half a mail
            write_private_file(partial, data)
            os.replace(partial, path)
        except OSError as exc:  # the folder's fault (full, read-only), not the message's
            raise ConnectionLost(unwritable(self.directory, exc)) from exc
        log.info("Mail written to %s", path)  # not to whom: no address in the logs
        print(f"Mail written to {path}", flush=True)
        return str(path)


class FileProvider:
    name = "file"

    def __init__(self, app):
        self.directory = Path(app.config["MAIL_FILE_DIR"])
        self.sender = app.config["MAIL_DEFAULT_SENDER"]

    def open(self):
        return FileConnection(self.directory, self.sender)


@hookimpl
def sala_email_provider(name, app):
    if name == "file":
        return FileProvider(app)
