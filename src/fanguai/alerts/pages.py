"""Pages of the missing-child cases and alerts module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
