"""fanguai (反拐): work platform of the Jiangsu provincial anti-trafficking joint conference."""

__version__ = "0.1.0"
