"""A declared charset that cannot be right does not turn a page into mojibake."""

from __future__ import annotations

import pytest

from ingest.extract.encoding import decode

PAGE = "<html><body><p>Café au lait in Köln: 3 € and a crème brûlée.</p></body></html>"


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-16be", "utf-32"])
def test_a_utf8_page_labelled_utf16_is_read_as_utf8(label: str) -> None:
    text, used = decode(PAGE.encode("utf-8"), http_charset=label, html=True)
    assert text == PAGE and used == "utf-8"


def test_a_real_utf16_page_with_its_bom_is_still_utf16() -> None:
    text, used = decode(PAGE.encode("utf-16"), http_charset="utf-16", html=True)
    assert text == PAGE and used.startswith("utf-16")
