"""Messages in English and Simplified Chinese, through the standard gettext machinery.

Findings keep English text (the JSON contract is English-keyed); a message built with `T()` is
an English `str` that also remembers its template and parameters, so a renderer can show it in
the user's language with `translate()`. Catalogs: `chipdoctor/locale/<lang>/LC_MESSAGES/
chipdoctor.mo`, compiled from the `.po` next to it by `python scripts/i18n.py compile`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import gettext

DOMAIN = "chipdoctor"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class Text(str):
    """An English message that can be rendered again in another language."""

    template: str
    params: Mapping[str, Any]

    def __new__(cls, template: str, params: Mapping[str, Any]) -> Text:
        text = super().__new__(cls, template.format(**params) if params else template)
        text.template = template
        text.params = params
        return text


def T(template: str, **params: Any) -> Text:
    """Mark a message for translation; `template` uses `{name}` placeholders."""
    return Text(template, params)


def join(parts: Sequence[str], separator: str = "\n") -> str:
    """Join messages, keeping each part translatable."""
    if not parts:
        return ""
    names = [f"p{index}" for index in range(len(parts))]
    template = separator.join("{" + name + "}" for name in names)
    return Text(template, dict(zip(names, parts)))


@cache
def _catalog(lang: str) -> gettext.NullTranslations:
    import gettext  # only to show another language than English (~1 ms of start-up)

    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)


def translate(text: str, lang: str) -> str:
    """`text` in `lang`; untranslated messages and plain strings come back as they are."""
    if lang == "en" or not isinstance(text, Text):
        return str(text)
    catalog = _catalog(lang)
    template = catalog.gettext(text.template) if text.template else text.template
    params = {k: translate(v, lang) if isinstance(v, Text) else v for k, v in text.params.items()}
    try:
        return template.format(**params) if params else template
    except (KeyError, IndexError, ValueError):  # a broken translation must not hide the message
        return str(text)


def choose_language(option: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """`--lang` wins; else LC_ALL, LC_MESSAGES, LANG in POSIX order: zh* means Chinese."""
    if option:
        value = option
    else:
        value = next((environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), "")
    return "zh_CN" if value.lower().startswith("zh") else "en"
