"""Storage failures a caller can act on, named so services never catch SDK exceptions themselves."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every storage failure csp-guard names."""


class ConcurrencyConflict(StoreError):
    """Someone else changed the entity (ETag mismatch) or created it first: re-read and decide again."""


class EntityNotFound(StoreError):
    pass


class StorageUnavailable(StoreError):
    """Storage could not be reached or answered with a server error; the operation may be retried later."""
