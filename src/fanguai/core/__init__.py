"""Shared mechanisms: actors, actions (one transaction + one audit record), the clock."""
