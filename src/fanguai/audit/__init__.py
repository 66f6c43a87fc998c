"""Audit trail: one record for every state change and every allowed or denied request."""
