"""Demo data of the identification module."""

from __future__ import annotations
