"""Organisation: units of the three-level joint conference, staff users and their roles."""
