"""Speakers' photos and partners' logos: raster pictures only, decoded and re-encoded by
Pillow so that what we serve is a picture we wrote ourselves — no SVG (it can carry
scripts), no metadata (a phone photo's EXIF can hold where it was taken), no oversized
file. Kept in <instance>/speakers/<event id>/, removed with the row or the session."""

import io
import secrets
import shutil
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

UPLOAD_MAX = 5 * 1024 * 1024
# Decoded size we accept: a 40-megapixel photo decodes to about 160 MB, the ceiling.
PIXELS_MAX = 40_000_000
ACCEPTED = {"JPEG", "PNG", "WEBP"}
PHOTO_BOX = (480, 480)
LOGO_BOX = (480, 240)


class PictureError(ValueError):
    """Why an upload is refused, in the visitor's language."""


def folder(event_id):
    return Path(current_app.instance_path) / "speakers" / str(int(event_id))


def read_upload(upload):
    """The bytes of an uploaded file, or None when no file was chosen."""
    if not upload or not getattr(upload, "filename", ""):
        return None
    data = upload.read(UPLOAD_MAX + 1)
    if len(data) > UPLOAD_MAX:
        raise PictureError(_("The picture is too large: at most 5 MB, please."))
    return data


def reencode(data, kind):
    """(bytes, extension) of a clean copy of the picture `data`: oriented, shrunk to fit,
    without metadata. A photo becomes a JPEG; a logo a PNG (logos need transparency)."""
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 megapixels; our own, lower ceiling answers first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            if image.format not in ACCEPTED:
                raise PictureError(_("Please upload a JPEG, PNG or WebP picture."))
            width, height = image.size
            if width * height > PIXELS_MAX:
                raise PictureError(_("The picture has too many pixels: please make it smaller."))
            image.load()
            image = ImageOps.exif_transpose(image)
    except PictureError:
        raise
    except Image.DecompressionBombError:  # beyond twice Pillow's own limit
        raise PictureError(_("The picture has too many pixels: please make it smaller.")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise PictureError(
            _("This file is not a picture we can read: please upload a JPEG, PNG or WebP.")
        ) from None
    out = io.BytesIO()
    if kind == "photo":
        image = image.convert("RGB")
        image.thumbnail(PHOTO_BOX)
        image.save(out, "JPEG", quality=85, optimize=True)
        return out.getvalue(), "jpg"
    image = image.convert("RGBA")
    image.thumbnail(LOGO_BOX)
    image.save(out, "PNG", optimize=True)
    return out.getvalue(), "png"


def store(event_id, kind, data):
    """Write a re-encoded picture; its new, unguessable file name."""
    encoded, ext = reencode(data, kind)
    target = folder(event_id)
    target.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{secrets.token_hex(8)}.{ext}"
    (target / name).write_bytes(encoded)
    return name


def copy(from_event_id, to_event_id, name):
    """A copy of a stored picture for another session, under a new name ("" if none)."""
    source = folder(from_event_id) / Path(name).name if name else None
    if source is None or not source.is_file():
        return ""
    target = folder(to_event_id)
    target.mkdir(parents=True, exist_ok=True)
    kind, ext = name.split("-", 1)[0], name.rsplit(".", 1)[-1]
    new_name = f"{kind}-{secrets.token_hex(8)}.{ext}"
    shutil.copyfile(source, target / new_name)
    return new_name


def remove(event_id, name):
    if name:
        (folder(event_id) / Path(name).name).unlink(missing_ok=True)


def remove_all(event_id):
    shutil.rmtree(folder(event_id), ignore_errors=True)
