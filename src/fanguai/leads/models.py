"""Tables of the leads module."""

from __future__ import annotations
