"""Missing-child cases and alerts.

Case leader and duties, widening alert rings, dispatch to subscribers (issue 5).
"""
