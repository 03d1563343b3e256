"""Queue fixtures: the staff factory from the staff tests, for views owned by real accounts."""

from ..staff.conftest import make_staff

__all__ = ["make_staff"]
