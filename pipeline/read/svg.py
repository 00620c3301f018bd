"""SVG images reduced to a subset that can neither run nor fetch anything, for both outputs.

An SVG is a program as much as a picture: readers run its scripts and handlers, follow its
links and load what it references, and an XML parser expands its entities. The image is parsed
without entity expansion, DTD or network, refused when it declares entities or is not SVG, and
re-serialised without scripts, foreign content, handlers, or references to anything but itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XHTML_NS = "http://www.w3.org/1999/xhtml"
# Elements that run code or carry another document; what is inside them goes with them.
_CODE = {"script", "foreignObject", "handler", "listener"}
# Elements that draw only what their href names: without it they draw nothing.
_REFERRING = {"image", "use", "feImage"}
_ANIMATION = {"set", "animate", "animateMotion", "animateTransform"}
_URL = re.compile(r"url\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_IMPORT = re.compile(r"@import\b[^;]*;?", re.IGNORECASE)
# CSS escapes can spell url( or @import in ways the patterns above do not see; these functions
# take a bare string as a URL.
_UNSAFE_CSS = re.compile(r"\\|image-set\(|\bimage\(|cross-fade\(|element\(", re.IGNORECASE)
_COMMENT = re.compile(r"/\*.*?(\*/|$)", re.DOTALL)


class SvgRefused(ValueError):
    """An SVG that cannot be made safe without changing what it draws, or cannot be drawn at all."""


@dataclass(frozen=True)
class CleanSvg:
    data: bytes
    dropped: tuple[str, ...]  # what was removed, in the order found, each once


def _parser() -> etree.XMLParser:
    # Nothing is expanded, loaded or fetched; comments and processing instructions (an
    # xml-stylesheet can fetch) are not kept.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           dtd_validation=False, remove_pis=True, remove_comments=True)


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= 40 else value[:37] + "..."


class _Cleaner:
    def __init__(self) -> None:
        self.dropped: dict[str, None] = {}

    def drop(self, what: str) -> None:
        self.dropped.setdefault(what, None)

    def css(self, text: str) -> str:
        text = _COMMENT.sub(" ", text)
        if _UNSAFE_CSS.search(text):
            self.drop("a style with CSS escapes or image functions")
            return ""
        if _IMPORT.search(text):
            self.drop("@import")
            text = _IMPORT.sub("", text)

        def url(m: re.Match[str]) -> str:
            if m.group(2).strip().startswith("#"):
                return m.group(0)
            self.drop(f"url({_short(m.group(2))})")
            return "none"

        return _URL.sub(url, text)

    def attributes(self, el: etree._Element) -> bool:
        """Clean el's attributes in place; False when el is left with nothing to draw."""
        for name, value in list(el.attrib.items()):
            q = etree.QName(name)
            if q.namespace not in (None, SVG_NS, XLINK_NS, XML_NS) or name == f"{{{XML_NS}}}base":
                del el.attrib[name]  # editor data (inkscape:, sodipodi:) and XML Events; drawn by nobody
            elif q.localname.lower().startswith("on"):
                self.drop(f"the {q.localname} handler")
                del el.attrib[name]
            elif q.localname == "href":
                if not value.strip().startswith("#"):
                    self.drop(f"the reference '{_short(value)}'")
                    del el.attrib[name]
                    if etree.QName(el).localname in _REFERRING:
                        return False
            elif q.localname == "style" or "url(" in value.lower() or "\\" in value:
                el.attrib[name] = self.css(value)  # presentation attributes are CSS too
        return True

    def keep(self, el: etree._Element) -> bool:
        """Clean el in place; False when it is to go, with what is inside it."""
        q = etree.QName(el)
        if q.localname in _CODE:
            self.drop(f"<{q.localname}>")
            return False
        if q.namespace != SVG_NS:
            # Outside foreignObject nothing draws it, but a reader would still run an XHTML
            # script or load an XHTML img; editors' own elements (inkscape:, rdf:) go unsaid.
            if q.namespace == XHTML_NS:
                self.drop(f"XHTML <{q.localname}>")
            return False
        if q.localname in _ANIMATION:
            target = el.get("attributeName", "").lower()
            if target.endswith("href") or target.startswith("on") or target == "style":
                self.drop(f"<{q.localname}> of {target}")
                return False
        if q.localname == "style":
            el.text = self.css("".join(el.itertext()))
            for child in list(el):
                el.remove(child)
        return self.attributes(el)


def _remove(el: etree._Element) -> None:
    """Take el out, keeping the text that followed it."""
    parent = el.getparent()
    assert parent is not None
    if el.tail:
        before = el.getprevious()
        if before is not None:
            before.tail = (before.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def sanitise(data: bytes) -> CleanSvg:
    """The SVG in `data` made safe, and what had to go; SvgRefused says why it cannot be used."""
    # Checked before parsing: an entity bomb is refused without the parser's help.
    if b"<!ENTITY" in data:
        raise SvgRefused("declares entities in a DOCTYPE, which can read files or expand without end; "
                         "replace each entity by its text and remove the DOCTYPE")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        what = exc.msg.rsplit(", line ", 1)[0]
        raise SvgRefused(f"is not well-formed XML (its line {line}, column {col}: {what}); "
                         "open it in an SVG editor and save it again") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):  # declared in UTF-16, say
        raise SvgRefused("declares entities in a DOCTYPE; replace each entity by its text and remove the DOCTYPE")
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgRefused(f"is not an SVG image: its root is <{etree.QName(root).localname}>, not <svg "
                         f"xmlns=\"{SVG_NS}\">")
    if any(isinstance(node, etree._Entity) for node in root.iter()):
        raise SvgRefused("uses an entity it does not declare; replace it by its text")
    cleaner = _Cleaner()
    stack = [root]
    while stack:  # iterative: a deeply nested SVG is no reason to fail
        el = stack.pop()
        if not cleaner.keep(el):  # never the root, an <svg>
            _remove(el)
            continue
        stack.extend(reversed([child for child in el if isinstance(child.tag, str)]))
    etree.cleanup_namespaces(root)  # the editors' namespaces whose elements went
    return CleanSvg(etree.tostring(root, xml_declaration=True, encoding="UTF-8"), tuple(cleaner.dropped))


def output_bytes(path: Path, data: bytes) -> bytes:
    """The bytes an output carries for an image file: an SVG made safe, anything else as read."""
    return sanitise(data).data if path.suffix.lower() == ".svg" else data
