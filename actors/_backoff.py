"""How long to wait before trying again what keeps failing: one rule for every retry loop."""

from __future__ import annotations

import attrs

__all__ = ["Backoff"]


@attrs.define
class Backoff:
    """A wait of `first` seconds after a failure, doubled after each failure that follows
    it, at most `most`; a success starts it over."""

    first: float = attrs.field(validator=attrs.validators.gt(0))
    most: float = attrs.field()
    failures: int = 0  # in a row, since the last success

    @most.validator
    def _check_most(self, attribute: attrs.Attribute[float], value: float) -> None:
        if value < self.first:
            raise ValueError(f"{attribute.name}: want at least first ({self.first}), "
                             f"not {value}")

    def failed(self) -> float:
        """One more failure: the seconds to wait before trying again."""
        delay = min(self.most, self.first * 2.0 ** self.failures)
        self.failures += 1
        return delay

    def succeeded(self) -> None:
        self.failures = 0
