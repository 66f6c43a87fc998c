"""Leads.

Public and mandatory reporting, triage, routing, transfer, deadlines and feedback (issue 4).
"""
