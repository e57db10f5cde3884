"""Fold translations into a catalog: `python tools/fill_catalog.py LANG SOURCE.po...`.

Helpers and translators can write the translations of new messages in side files (plain PO);
this copies every translated, non-fuzzy entry whose msgid is in the main catalog into
translations/LANG/LC_MESSAGES/messages.po, leaving other entries alone."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent


def is_translated(message):
    string = message.string
    return all(string) if isinstance(string, tuple | list) else bool(string)


def main(lang, *sources):
    target = ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po"
    with target.open("rb") as f:
        catalog = read_po(f, locale=lang)
    filled = 0
    for source in sources:
        with open(source, "rb") as f:
            side = read_po(f, locale=lang)
        for message in side:
            if not message.id or message.fuzzy or not message.string:
                continue
            current = catalog.get(message.id, message.context)
            if current is not None:
                current.string = message.string
                current.flags.discard("fuzzy")
                filled += 1
    with target.open("wb") as f:
        write_po(f, catalog, width=100, sort_by_file=True)
    missing = [
        m.id
        for m in catalog
        if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    print(f"{filled} filled; {len(missing)} still untranslated in {target}")
    for msgid in missing[:20]:
        print("  -", msgid if isinstance(msgid, str) else msgid[0])


if __name__ == "__main__":
    main(*sys.argv[1:])
