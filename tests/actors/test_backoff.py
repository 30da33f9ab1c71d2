"""The one retry rule: a wait that doubles, capped, and starts over after a success."""

from __future__ import annotations

import pytest

from actors import Backoff


def test_doubles_up_to_its_most_and_starts_over() -> None:
    backoff = Backoff(1.0, 30.0)
    assert [backoff.failed() for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    backoff.succeeded()
    assert backoff.failed() == 1


@pytest.mark.parametrize(("first", "most"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_wants_a_positive_first_no_more_than_most(first: float, most: float) -> None:
    with pytest.raises(ValueError, match="first"):
        Backoff(first, most)
