"""The DNA store.

Specimens, encrypted profiles, lab imports, searches and candidate matches (issue 6, R-DNA-1..8).
"""
