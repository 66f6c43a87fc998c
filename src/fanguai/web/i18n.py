"""Message catalogue: what a person reads, in zh-CN first (English can follow)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

DEFAULT_LOCALE = "zh-CN"


@lru_cache(maxsize=4)
def catalogue(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """The messages of one locale."""
    text = resources.files("fanguai.web").joinpath(f"locales/{locale}.json").read_text("utf-8")
    return json.loads(text)


def translate(key: str, locale: str = DEFAULT_LOCALE, **values: object) -> str:
    """The message for ``key``, formatted with ``values``; the key itself if it is missing."""
    message = catalogue(locale).get(key)
    if message is None and locale != DEFAULT_LOCALE:
        message = catalogue(DEFAULT_LOCALE).get(key)
    if message is None:
        return key
    return message.format(**values) if values else message
