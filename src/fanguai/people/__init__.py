"""People (人员): the identities the platform protects — missing children, parents and relatives,
children of unknown origin, victims. Identity fields are field-encrypted, masked in lists,
and every read of a record is audited."""
