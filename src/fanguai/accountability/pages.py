"""Pages of the plan accountability module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
