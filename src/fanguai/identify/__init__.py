"""Identification and reunification.

Found persons, deadlines, one candidate list, review, reunification (issue 7).
"""
