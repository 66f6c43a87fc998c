"""Victim assistance: one case file from rescue to return, services, rules, referrals (issue 8)."""
