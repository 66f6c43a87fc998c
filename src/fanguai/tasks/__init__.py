"""Tracked tasks: a deadline owned by a unit, with a reminder before it and escalation after it.

Modules create tasks inside their own actions (``create_task``), close them when the work is done
(``complete_task``), and the worker's ``tasks.sweep`` job sends reminders and escalates overdue
tasks to the unit above (county → city → province, same department line) through the outbox.
"""
