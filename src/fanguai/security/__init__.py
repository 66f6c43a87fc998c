"""Authentication, sessions, roles and permissions, access scope."""
