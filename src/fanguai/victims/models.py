"""Tables of the victim assistance module."""

from __future__ import annotations
