"""UI hierarchies as `uiautomator dump` writes them.

An app renders its current screen as a tree of frozen `Node`s. A node may carry an
`action`: a name the app gives it (never written to the XML), so a tap that lands on
the node tells the app what was pressed without the app doing geometry itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import quoteattr

import attrs

__all__ = ["Bounds", "Node", "hierarchy_xml"]


@attrs.frozen
class Bounds:
    left: int
    top: int
    right: int
    bottom: int

    def contains(self, x: int, y: int) -> bool:
        return self.left <= x < self.right and self.top <= y < self.bottom

    @property
    def center(self) -> tuple[int, int]:
        return (self.left + self.right) // 2, (self.top + self.bottom) // 2

    def __str__(self) -> str:
        return f"[{self.left},{self.top}][{self.right},{self.bottom}]"


@attrs.frozen(kw_only=True)
class Node:
    """One view of a screen, with the attributes uiautomator reports."""

    cls: str
    bounds: Bounds
    package: str = ""
    text: str = ""
    resource_id: str = ""
    content_desc: str = ""
    checkable: bool = False
    checked: bool = False
    clickable: bool = False
    enabled: bool = True
    focusable: bool = False
    focused: bool = False
    scrollable: bool = False
    long_clickable: bool = False
    password: bool = False
    selected: bool = False
    children: tuple[Node, ...] = ()
    action: str | None = None

    def walk(self) -> Iterator[Node]:
        """This node and all below it, depth first, in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def hit(self, x: int, y: int) -> Node | None:
        """The deepest node at (x, y) that has an action, as a finger would press it."""
        if not self.bounds.contains(x, y):
            return None
        for child in reversed(self.children):  # later siblings are drawn on top
            found = child.hit(x, y)
            if found is not None:
                return found
        return self if self.action is not None and self.enabled else None

    def find(self, *, resource_id: str | None = None, text: str | None = None,
             content_desc: str | None = None) -> Node | None:
        """The first node matching every given attribute, for tests."""
        for node in self.walk():
            if ((resource_id is None or node.resource_id == resource_id)
                    and (text is None or node.text == text)
                    and (content_desc is None or node.content_desc == content_desc)):
                return node
        return None


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _node_xml(node: Node, index: int, package: str, out: list[str]) -> None:
    attrs_text = " ".join(f"{name}={quoteattr(value)}" for name, value in (
        ("index", str(index)),
        ("text", node.text),
        ("resource-id", node.resource_id),
        ("class", node.cls),
        ("package", node.package or package),
        ("content-desc", node.content_desc),
        ("checkable", _bool(node.checkable)),
        ("checked", _bool(node.checked)),
        ("clickable", _bool(node.clickable)),
        ("enabled", _bool(node.enabled)),
        ("focusable", _bool(node.focusable)),
        ("focused", _bool(node.focused)),
        ("scrollable", _bool(node.scrollable)),
        ("long-clickable", _bool(node.long_clickable)),
        ("password", _bool(node.password)),
        ("selected", _bool(node.selected)),
        ("bounds", str(node.bounds)),
    ))
    if not node.children:
        out.append(f"<node {attrs_text} />")
        return
    out.append(f"<node {attrs_text}>")
    for i, child in enumerate(node.children):
        _node_xml(child, i, node.package or package, out)
    out.append("</node>")


def hierarchy_xml(root: Node, *, rotation: int = 0) -> str:
    """The one-line XML document `uiautomator dump` writes for a screen."""
    out = ["<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>",
           f'<hierarchy rotation="{rotation}">']
    _node_xml(root, 0, root.package, out)
    out.append("</hierarchy>")
    return "".join(out)
