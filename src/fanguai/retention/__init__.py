"""The retention schedule (保存期限) and legal holds (依法保全): SECURITY.md I1.

One schedule declares each data class, what starts its clock, its period and what happens at
expiry (``schedule.py``); the purge job applies it record by record, one audited action each
(``purge.py``, ``jobs.py``); a legal hold on a record stops it (``service.py``).
"""
