"""JSON API of the leads module."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
