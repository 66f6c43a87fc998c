"""Tables of the plan accountability module."""

from __future__ import annotations
