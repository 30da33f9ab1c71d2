"""The UI hierarchy as `uiautomator dump` writes it, and queries over it.

Scripts find views by `Selector`s loaded from data files (selectors change with app
versions; code should not), and tap what they find by its bounds' center.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping

import attrs

__all__ = ["Bounds", "Selector", "UiElement", "UiTree"]

_BOUNDS = re.compile(r"\[(-?\d+),(-?\d+)\]\[(-?\d+),(-?\d+)\]")


@attrs.frozen
class Bounds:
    """A view's rectangle in screen pixels; `right` and `bottom` are exclusive."""

    left: int
    top: int
    right: int
    bottom: int

    @classmethod
    def parse(cls, text: str) -> Bounds:
        """`[0,0][1080,2400]` as uiautomator writes it."""
        match = _BOUNDS.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"bad bounds {text!r}")
        left, top, right, bottom = map(int, match.groups())
        return cls(left, top, right, bottom)

    @property
    def center(self) -> tuple[int, int]:
        return (self.left + self.right) // 2, (self.top + self.bottom) // 2


def _flag(node: ET.Element, name: str) -> bool:
    return node.get(name) == "true"


@attrs.frozen(kw_only=True)
class UiElement:
    """One view of a dumped screen: the attributes scripts query and where it is."""

    text: str
    resource_id: str
    class_name: str
    package: str
    content_desc: str
    bounds: Bounds
    clickable: bool = False
    enabled: bool = True
    focused: bool = False
    selected: bool = False
    checked: bool = False
    scrollable: bool = False

    @classmethod
    def from_xml(cls, node: ET.Element) -> UiElement:
        """From one `<node>` of a uiautomator dump."""
        return cls(
            text=node.get("text", ""), resource_id=node.get("resource-id", ""),
            class_name=node.get("class", ""), package=node.get("package", ""),
            content_desc=node.get("content-desc", ""),
            bounds=Bounds.parse(node.get("bounds", "[0,0][0,0]")),
            clickable=_flag(node, "clickable"), enabled=node.get("enabled") != "false",
            focused=_flag(node, "focused"), selected=_flag(node, "selected"),
            checked=_flag(node, "checked"), scrollable=_flag(node, "scrollable"))

    @property
    def center(self) -> tuple[int, int]:
        return self.bounds.center


_OPTIONAL_STR = attrs.validators.optional(attrs.validators.instance_of(str))


@attrs.frozen(kw_only=True)
class Selector:
    """What to look for: every given field must match, at least one must be given.

    `resource_id` matches the full id (`pkg:id/follow_btn`) or, given without `:id/`,
    the name after it (`follow_btn`), so data files need not repeat the package.
    """

    resource_id: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)
    text: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)
    text_contains: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)
    content_desc: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)
    class_name: str | None = attrs.field(default=None, validator=_OPTIONAL_STR)

    def __attrs_post_init__(self) -> None:
        if not self._given():
            raise ValueError("a Selector needs at least one field")

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> Selector:
        """From a data file's table (`{"resource_id": "follow_btn"}`); unknown keys are errors."""
        known = {field.name for field in attrs.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown selector field(s) {', '.join(unknown)}; "
                             f"known: {', '.join(sorted(known))}")
        values = {}
        for name, value in data.items():
            if not isinstance(value, str):
                raise TypeError(f"selector field {name} must be a string, not {value!r}")
            values[name] = value
        return cls(**values)

    def _given(self) -> dict[str, str]:
        return {name: value for name, value in attrs.asdict(self).items() if value is not None}

    def matches(self, element: UiElement) -> bool:
        if self.resource_id is not None and element.resource_id != self.resource_id \
                and (":id/" in self.resource_id
                     or element.resource_id.partition(":id/")[2] != self.resource_id):
            return False
        return ((self.text is None or element.text == self.text)
                and (self.text_contains is None or self.text_contains in element.text)
                and (self.content_desc is None or element.content_desc == self.content_desc)
                and (self.class_name is None or element.class_name == self.class_name))

    def __str__(self) -> str:
        return "{" + ", ".join(f"{name}={value!r}" for name, value in self._given().items()) + "}"


@attrs.frozen
class UiTree:
    """One dumped screen: its views in document order (parents before children)."""

    elements: tuple[UiElement, ...]
    rotation: int = 0

    @classmethod
    def from_xml(cls, text: str | bytes) -> UiTree:
        """Parse the XML document `uiautomator dump` writes.

        Raises:
            ValueError: the text is not a uiautomator hierarchy.
        """
        try:
            root = ET.fromstring(text)
        except ET.ParseError as error:
            raise ValueError(f"not a UI hierarchy: {error}") from None
        if root.tag != "hierarchy":
            raise ValueError(f"not a UI hierarchy: root is <{root.tag}>")
        return cls(tuple(UiElement.from_xml(node) for node in root.iter("node")),
                   int(root.get("rotation", "0")))

    def __iter__(self) -> Iterator[UiElement]:
        return iter(self.elements)

    def find_all(self, selector: Selector) -> list[UiElement]:
        return [element for element in self.elements if selector.matches(element)]

    def find(self, selector: Selector) -> UiElement | None:
        """The first match in document order, or None."""
        return next((element for element in self.elements if selector.matches(element)), None)
