"""Errors of the kinship engine. All are ``ValueError``s with one precise message."""

from __future__ import annotations


class KinshipError(ValueError):
    """Base class: bad input to the kinship engine. ``str(exc)`` is the whole message."""

    @property
    def message(self) -> str:
        return str(self)


class UnknownLocus(KinshipError):
    """A locus name that is not a valid STR locus name, or a role/relationship that is unknown."""


class MalformedAllele(KinshipError):
    """An allele or genotype that cannot be read (names the locus and the value)."""


class MissingFrequencies(KinshipError):
    """The frequency table lacks a locus that both profiles type, or is malformed."""


class InvalidSettings(KinshipError):
    """A setting out of range, or a mutation rate outside a model's validity bound."""


class InconsistentMother(KinshipError):
    """In a trio the mother cannot have given the child its alleles (no mutation model)."""


class InvalidCase(KinshipError):
    """A case with an unknown relationship, an unknown role or a missing profile."""


class InsufficientLoci(KinshipError):
    """A profile types too few of a search index's loci to be searched or stored."""
