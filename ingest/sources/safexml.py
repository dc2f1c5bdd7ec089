"""XML parsing for untrusted documents (sitemaps, OPML): no DTDs, no entities, no network."""

from __future__ import annotations

import re

from lxml import etree

from ingest.errors import ErrorKind, IngestError

# Sitemaps, feeds and OPML never need entity declarations; a document that declares
# them is either broken or an expansion attack ("billion laughs"), so it is refused.
_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, remove_pis=True, recover=recover)


def refuse_entities(body: bytes, stage: str, what: str) -> None:
    if _ENTITY_DECLARATION.search(body):
        raise IngestError(ErrorKind.MALFORMED, stage,
                          f"the {what} declares XML entities, which no {what} needs; refused as unsafe")


def parse_xml(body: bytes, stage: str, what: str) -> etree._Element:
    """The root element of `body`; recovers from small errors (an unescaped & in a URL is common)."""
    refuse_entities(body, stage, what)
    try:
        return etree.fromstring(body, _parser(recover=False))
    except etree.XMLSyntaxError as strict_error:
        try:
            root = etree.fromstring(body, _parser(recover=True))
        except etree.XMLSyntaxError:
            root = None
        if root is None:
            raise IngestError(ErrorKind.MALFORMED, stage,
                              f"the {what} is not well-formed XML ({strict_error}); check the URL points "
                              f"at a {what}") from None
        return root


def local_name(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""
