"""Tables of the DNA store module."""

from __future__ import annotations
