"""The Service Management API's XML: read request bodies against a schema, write responses, write errors.

Request bodies arrive as the classic SDK writes them: plain XML in the Windows Azure namespace, values not always
escaped. Reading is strict: a body that is not well-formed XML, that names an element the route does not know, or
whose values are longer than their limit is refused with a message, never half read.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from classic.errors import BadRequest

NAMESPACE = "http://schemas.microsoft.com/windowsazure"
INSTANCE_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
MAX_BODY_BYTES = 64 * 1024
DEFAULT_MAX_LENGTH = 1024


@dataclass(frozen=True)
class Leaf:
    """An element holding text, at most `max_length` characters."""

    max_length: int = DEFAULT_MAX_LENGTH


@dataclass(frozen=True)
class Node:
    """An element holding other elements; `repeated` names the children that may appear more than once.

    `unsupported` children are accepted only when empty (the SDK writes some of them empty on every request);
    one with any value is refused, since the portal cannot carry it out.
    """

    children: dict[str, Leaf | Node]
    repeated: frozenset[str] = frozenset()
    unsupported: frozenset[str] = frozenset()


@dataclass
class Parsed:
    """A read element: its text and its children by name (a list each, in document order)."""

    name: str
    text: str = ""
    children: dict[str, list[Parsed]] = field(default_factory=dict)

    def first(self, name: str) -> Parsed | None:
        found = self.children.get(name)
        return found[0] if found else None

    def value(self, name: str) -> str | None:
        """The text of the first child `name`, or None when it is absent."""
        child = self.first(name)
        return None if child is None else child.text

    def all(self, name: str) -> list[Parsed]:
        return self.children.get(name, [])


def _local(tag: str) -> str:
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        if namespace != NAMESPACE:
            raise BadRequest(f"The element {name} is not in the namespace {NAMESPACE}.")
        return name
    raise BadRequest(f"The element {tag} must be in the namespace {NAMESPACE}.")


def _has_value(element: Element) -> bool:
    return bool((element.text or "").strip()) or any(_has_value(child) for child in element)


def _read(element: Element, name: str, schema: Leaf | Node) -> Parsed:
    if isinstance(schema, Leaf):
        if len(element):
            raise BadRequest(f"The element {name} holds a value, not other elements.")
        text = (element.text or "").strip()
        if len(text) > schema.max_length:
            raise BadRequest(f"The value of {name} is longer than {schema.max_length} characters.")
        return Parsed(name=name, text=text)
    if (element.text or "").strip():
        raise BadRequest(f"The element {name} holds other elements, not a value.")
    parsed = Parsed(name=name)
    for child in element:
        child_name = _local(child.tag)
        child_schema = schema.children.get(child_name)
        if child_schema is None:
            raise BadRequest(f"The element {child_name} is not expected in {name}.")
        if child_name in schema.unsupported:
            if _has_value(child):
                raise BadRequest(f"{child_name} is not supported by this portal; leave it out.", code="NotSupported")
            continue
        if child_name in parsed.children and child_name not in schema.repeated:
            raise BadRequest(f"The element {child_name} appears more than once in {name}.")
        parsed.children.setdefault(child_name, []).append(_read(child, child_name, child_schema))
    return parsed


def parse(body: bytes, root: str, schema: Node) -> Parsed:
    """Read a request body whose document element is `root`, checking it against `schema`."""
    if not body:
        raise BadRequest(f"The request body is empty; a {root} document was expected.", code="MissingRequestBody")
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    try:
        document = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as error:
        # The classic SDK does not escape values: an & or < in a password ends up here.
        raise BadRequest(
            "The request body is not well-formed XML. If a value contains &, < or >, write it as &amp;, &lt; "
            f"or &gt;. ({type(error).__name__}: {_position(error)})",
            code="InvalidXmlRequest",
        ) from None
    name = _local(document.tag)
    if name != root:
        raise BadRequest(f"The document element is {name}; {root} was expected.", code="InvalidXmlRequest")
    return _read(document, name, schema)


def _position(error: Exception) -> str:
    position = getattr(error, "position", None)
    return f"line {position[0]}, column {position[1]}" if position else "not XML"


def decode_label(value: str | None) -> str:
    """Decode a base64 Label as the SDK sends it."""
    if not value:
        return ""
    try:
        return base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("Label must be base64-encoded UTF-8 text.") from None


def decode_label_leniently(value: str | None) -> str:
    """Decode a base64 Label, or take it as written: the SDK sends a deployment's label without encoding it."""
    try:
        decoded = decode_label(value)
    except BadRequest:
        return value or ""
    return decoded if decoded.isprintable() else value or ""


def encode_label(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def parse_bool(value: str | None, name: str, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise BadRequest(f"{name} must be true or false.")


def parse_int(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number.") from None


Tree = dict[str, Any] | list[tuple[str, Any]]


def element(name: str, content: Any = None, **attributes: str) -> Element:
    """Build an element: content is text, a list of (name, content) pairs or of Elements, or None."""
    node = Element(name, attributes)
    _fill(node, content)
    return node


def _fill(node: Element, content: Any) -> None:
    if content is None:
        return
    if isinstance(content, Element):
        node.append(content)
    elif isinstance(content, list):
        for item in content:
            if isinstance(item, Element):
                node.append(item)
            else:
                child_name, child_content = item
                _fill(SubElement(node, child_name), child_content)
    elif isinstance(content, bool):
        node.text = "true" if content else "false"
    else:
        node.text = str(content)


def document(name: str, content: Any) -> bytes:
    """Serialise a response document in the Windows Azure namespace."""
    root = element(name, content, xmlns=NAMESPACE, **{"xmlns:i": INSTANCE_NAMESPACE})
    return b'<?xml version="1.0" encoding="utf-8"?>' + tostring(root, encoding="unicode").encode("utf-8")


def error_document(code: str, message: str) -> bytes:
    return document("Error", [("Code", code), ("Message", message)])
