"""Pages of the DNA store module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
