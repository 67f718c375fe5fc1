"""Maintain the message catalogs: extract T("...") templates, update .po files, compile .mo.

    python scripts/i18n.py extract   # chipdoctor/locale/chipdoctor.pot from the sources
    python scripts/i18n.py update    # merge the .pot into every <lang>/LC_MESSAGES/chipdoctor.po
    python scripts/i18n.py compile   # .po -> .mo (what the package ships and loads)
    python scripts/i18n.py check     # exit 1 when a .mo is stale or a template lacks a translation

Uses Babel (in the `test` extras); the package itself reads catalogs with the stdlib gettext.
"""

from __future__ import annotations

import io
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "chipdoctor"
LOCALE = PACKAGE / "locale"
DOMAIN = "chipdoctor"
LANGS = ("zh_CN",)


def extract() -> Catalog:
    catalog = Catalog(project="chipdoctor", charset="utf-8")
    method_map = [("**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(PACKAGE),
        method_map,
        keywords={"T": None},
        comment_tags=("i18n:",),
        directory_filter=_source_directory,
    ):
        catalog.add(
            message,
            locations=[(f"chipdoctor/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    return catalog


def _source_directory(path: str) -> bool:
    """Babel's default skips `_`-prefixed folders, which would leave stacks/_hip/ untranslated."""
    name = Path(path).name
    return not name.startswith(".") and name != "__pycache__"


def _po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(lang: str) -> Catalog:
    path = _po_path(lang)
    if not path.exists():
        return Catalog(locale=lang, project="chipdoctor", charset="utf-8")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def _mo_bytes(catalog: Catalog) -> bytes:
    """Compiled catalog; its header dates are pinned so the same .po always gives the same .mo."""
    catalog.creation_date = catalog.revision_date = datetime(2026, 1, 1, tzinfo=timezone.utc)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def _messages(catalog: Catalog) -> dict[object, object]:
    """A catalog by content: a .mo's bytes also carry the Babel version that wrote it, so two
    Babel releases compile the same .po to different bytes."""
    return {m.id: m.string for m in catalog if m.id and m.string}


def _compiled_messages(mo: Path) -> dict[object, object]:
    with mo.open("rb") as handle:
        return _messages(read_mo(handle))


def main(command: str) -> int:
    template = extract()
    if command == "extract":
        with (LOCALE / f"{DOMAIN}.pot").open("wb") as handle:
            write_po(handle, template, omit_header=True, sort_output=True, include_lineno=False)
        return 0
    status = 0
    for lang in LANGS:
        catalog = _read(lang)
        if command == "update":
            catalog.update(template, no_fuzzy_matching=True)
            _po_path(lang).parent.mkdir(parents=True, exist_ok=True)
            with _po_path(lang).open("wb") as handle:
                write_po(
                    handle,
                    catalog,
                    omit_header=True,
                    sort_output=True,
                    ignore_obsolete=True,
                    include_lineno=False,
                )
        elif command == "compile":
            _po_path(lang).with_suffix(".mo").write_bytes(_mo_bytes(catalog))
        elif command == "check":
            missing = [
                m.id
                for m in template
                if m.id and not (catalog.get(m.id) and catalog.get(m.id).string)
            ]
            for message_id in missing:
                print(f"{_po_path(lang)}: no translation for {message_id!r}")
            mo = _po_path(lang).with_suffix(".mo")
            if not mo.exists() or _compiled_messages(mo) != _messages(catalog):
                print(f"{mo}: stale, run `python scripts/i18n.py compile`")
                status = 1
            status = status or (1 if missing else 0)
        else:
            print(__doc__)
            return 2
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
