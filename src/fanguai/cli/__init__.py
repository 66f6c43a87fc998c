"""The ``fanguai`` command line: one module per command group."""
