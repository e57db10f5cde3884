"""The organizer's branding page, and the two files it produces, served from our origin:
/branding.css (the colours) and /branding/logo (the uploaded logo)."""

import re
from pathlib import Path
from xml.etree import ElementTree

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _

from .. import audit
from ..auth import admin_required
from ..extensions import db
from ..models import Setting
from . import current_brand, forget_brand
from .forms import branding_form

bp = Blueprint("branding", __name__, url_prefix="/admin", template_folder="templates")
assets_bp = Blueprint("branding_assets", __name__)

LOGO_MAX = 200 * 1024
LOGO_TYPES = {"png": "image/png", "jpg": "image/jpeg", "svg": "image/svg+xml"}
# What an SVG logo is served with: it may not run anything, load anything, or be framed.
SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; sandbox"
FOOTER_ROWS = 3
FOOTER_MAX = 10
URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


@bp.before_request
@admin_required
def require_admin():
    """Organizers only."""


def logo_folder():
    return Path(current_app.instance_path) / "branding"


def check_logo(data):
    """(extension, None) for a PNG, JPEG or clean SVG; (None, message) otherwise."""
    if len(data) > LOGO_MAX:
        return None, _("The logo is too large: at most 200 KB, please.")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", None
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", None
    head = data[:1000].lstrip().lower()
    if head.startswith(b"<?xml") or head.startswith(b"<svg"):
        problem = svg_problem(data)
        return (None, problem) if problem else ("svg", None)
    return None, _("Please upload a PNG, JPEG or SVG image.")


def svg_problem(data):
    """Why an SVG is refused, or None. No scripts, event handlers, outside references,
    embedded HTML or entity declarations: a logo is a picture."""
    refused = _(
        "This SVG contains scripts, links or embedded content; please export it as a plain picture."
    )
    if b"<!doctype" in data.lower() or b"<!entity" in data.lower():
        return refused
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return _("This SVG file could not be read.")
    if not root.tag.endswith("svg"):
        return _("Please upload a PNG, JPEG or SVG image.")
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower()
        if tag in ("script", "foreignobject", "iframe", "embed", "object", "use", "image"):
            return refused
        for name, value in element.attrib.items():
            local = name.rsplit("}", 1)[-1].lower()
            if local.startswith("on"):
                return refused
            if local == "href" and not value.startswith("#"):
                return refused
            lowered = value.lower()
            if "javascript:" in lowered or ("url(" in lowered and "url(#" not in lowered):
                return refused
    return None


def footer_rows_from(formdata, languages):
    """(links, errors by input name, rows to show again)."""
    links, errors, rows = [], {}, []
    n = 0
    while f"link-{n}-url" in formdata and n < FOOTER_MAX + FOOTER_ROWS:
        url = (formdata.get(f"link-{n}-url") or "").strip()
        labels = {}
        for lang in languages:
            value = (formdata.get(f"link-{n}-{lang}") or "").strip()
            if len(value) > 100:
                errors[f"link-{n}-{lang}"] = _("A label can have at most 100 characters.")
            if value:
                labels[lang] = value[:100]
        rows.append({"n": n, "url": url, "labels": labels})
        if url or labels:
            if not url:
                errors[f"link-{n}-url"] = _("Please enter the address this link goes to.")
            elif len(url) > 500:
                errors[f"link-{n}-url"] = _("An address can have at most 500 characters.")
            elif not URL.match(url):
                errors[f"link-{n}-url"] = _(
                    "Only web addresses starting with http:// or https:// are allowed."
                )
            if not labels:
                errors[f"link-{n}-{languages[0]}"] = _(
                    "Please give the link a label in at least one language."
                )
            links.append({"url": url, "labels": labels})
        n += 1
    if len(links) > FOOTER_MAX:
        errors["link-0-url"] = _("At most %(max)d footer links.", max=FOOTER_MAX)
    return links, errors, rows


def show_rows(links):
    rows = [
        {"n": i, "url": link["url"], "labels": link.get("labels", {})}
        for i, link in enumerate(links)
    ]
    start = len(rows)
    rows += [{"n": start + i, "url": "", "labels": {}} for i in range(FOOTER_ROWS)]
    return rows


def save(key, value, changed):
    row = db.session.get(Setting, key)
    old = row.value if row is not None else None
    if old == value or (row is None and value in ("", None, {}, [])):
        return
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
    changed.append(key)


@bp.route("/branding", methods=["GET", "POST"])
def edit():
    languages = list(current_app.config["LANGUAGES"])
    brand = current_brand()
    form = branding_form(languages)
    stored = {s.key: s.value for s in db.session.scalars(db.select(Setting))}
    if request.method == "GET":
        form.site_name.data = stored.get("site_name", "")
        form.organization_name.data = stored.get("organization_name", "")
        form.contact_email.data = stored.get("contact_email", "")
        form.accent.data = stored.get("accent", "")
        form.ink.data = stored.get("ink", "")
        for lang in languages:
            form[f"privacy_{lang}"].data = (stored.get("privacy") or {}).get(lang, "")
        return page(form, languages, brand, show_rows(brand.footer_links), {})
    valid = form.validate_on_submit()
    links, link_errors, rows = footer_rows_from(request.form, languages)
    logo_ext = logo_data = None
    upload = form.logo.data
    if upload and getattr(upload, "filename", ""):
        logo_data = upload.read(LOGO_MAX + 1)
        logo_ext, problem = check_logo(logo_data)
        if problem:
            form.logo.errors = [problem]
            valid = False
    if not valid or link_errors:
        return page(form, languages, brand, rows, link_errors, status=200)
    changed = []
    for key in ("site_name", "organization_name", "contact_email", "accent", "ink"):
        save(key, (form[key].data or "").strip(), changed)
    privacy = {lang: (form[f"privacy_{lang}"].data or "").strip() for lang in languages}
    save("privacy", {k: v for k, v in privacy.items() if v}, changed)
    save("footer_links", links, changed)
    if logo_ext:
        folder = logo_folder()
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("logo.*"):
            old.unlink()
        (folder / f"logo.{logo_ext}").write_bytes(logo_data)
        version = int((stored.get("logo") or {}).get("version", 0)) + 1
        save("logo", {"ext": logo_ext, "version": version}, changed)
    elif form.remove_logo.data and stored.get("logo"):
        for old in logo_folder().glob("logo.*"):
            old.unlink()
        save("logo", {}, changed)
    if changed:
        audit.record("branding.edit", changed=changed)
    db.session.commit()
    forget_brand()
    flash(_("Branding saved.") if changed else _("Nothing was changed."), "info")
    return redirect(url_for("branding.edit"))


def page(form, languages, brand, rows, link_errors, status=200):
    return (
        render_template(
            "branding/edit.html",
            form=form,
            form_languages=languages,
            brand=brand,
            link_rows=rows,
            link_errors=link_errors,
            defaults=current_app.config,
        ),
        status,
    )


# ---------------------------------------------------------------- files for every visitor


@assets_bp.get("/branding.css")
def stylesheet():
    brand = current_brand()
    lines = ["/* Colours chosen by the organizers on /admin/branding. */", ":root {"]
    if brand.accent:
        lines.append(f"  --accent: {brand.accent};")
    if brand.ink:
        lines.append(f"  --ink: {brand.ink};")
    lines.append("}")
    response = Response("\n".join(lines) + "\n", mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@assets_bp.get("/branding/logo")
def logo():
    info = current_brand().logo
    ext = info.get("ext") if info else None
    if ext not in LOGO_TYPES:
        abort(404)
    path = logo_folder() / f"logo.{ext}"
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=LOGO_TYPES[ext], max_age=3600)
    if ext == "svg":
        response.headers["Content-Security-Policy"] = SVG_CSP
    return response
