"""Action-plan accountability.

Progress reports, evaluations, official reports, dashboard (issue 9).
"""
