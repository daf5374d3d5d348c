"""Where the dependency diagram draws each role and each arrow: plain geometry for the page's SVG."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BOX_WIDTH = 180
BOX_HEIGHT = 44
GAP = 60
TOP = 70
ARC_STEP = 22


@dataclass(frozen=True)
class Node:
    key: int
    name: str
    up: bool
    x: int
    y: int
    width: int = BOX_WIDTH
    height: int = BOX_HEIGHT

    @property
    def text_x(self) -> int:
        return self.x + self.width // 2

    @property
    def text_y(self) -> int:
        return self.y + self.height // 2 + 5


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    path: str


@dataclass(frozen=True)
class Diagram:
    width: int
    height: int
    nodes: list[Node]
    arrows: list[Arrow]


def layout(roles: Sequence[tuple[int, str, bool]], dependencies: Sequence[tuple[int, int]]) -> Diagram:
    """Put the roles in a row and arc an arrow from each role over to the role it depends on."""
    nodes = [
        Node(key, name, up, x=10 + index * (BOX_WIDTH + GAP), y=TOP) for index, (key, name, up) in enumerate(roles)
    ]
    by_key = {node.key: (index, node) for index, node in enumerate(nodes)}
    arrows = []
    for source_key, target_key in dependencies:
        (i, source), (j, target) = by_key[source_key], by_key[target_key]
        x1, x2 = source.text_x, target.text_x
        x1 += 12 if j > i else -12
        x2 -= 12 if j > i else -12
        lift = TOP - 8 - ARC_STEP * min(abs(i - j), 2)
        arrows.append(Arrow(source.name, target.name, f"M {x1} {TOP} C {x1} {lift}, {x2} {lift}, {x2} {TOP - 2}"))
    width = max(10 + len(nodes) * (BOX_WIDTH + GAP), 200)
    return Diagram(width=width, height=TOP + BOX_HEIGHT + 10, nodes=nodes, arrows=arrows)
