"""Message catalogue: what a person reads, in zh-CN first (English can follow)."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

DEFAULT_LOCALE = "zh-CN"


@lru_cache(maxsize=4)
def catalogue(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    """The messages of one locale: the main file, then each module's file in locales/<locale>/.

    A key defined twice is a mistake that would hide one of the messages, so it is refused."""
    locales = resources.files("fanguai.web").joinpath("locales")
    messages: dict[str, str] = json.loads(locales.joinpath(f"{locale}.json").read_text("utf-8"))
    folder = locales.joinpath(locale)
    if folder.is_dir():
        for part in sorted(folder.iterdir(), key=lambda p: p.name):
            if not part.name.endswith(".json"):
                continue
            extra = json.loads(part.read_text("utf-8"))
            clash = sorted(set(extra) & set(messages))
            if clash:
                raise ValueError(f"locale {locale}: {part.name} redefines {', '.join(clash)}")
            messages.update(extra)
    return messages


def translate(key: str, locale: str = DEFAULT_LOCALE, **values: object) -> str:
    """The message for ``key``, formatted with ``values``; the key itself if it is missing."""
    message = catalogue(locale).get(key)
    if message is None and locale != DEFAULT_LOCALE:
        message = catalogue(DEFAULT_LOCALE).get(key)
    if message is None:
        return key
    return message.format(**values) if values else message
