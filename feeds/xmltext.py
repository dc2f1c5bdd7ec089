"""Text that is always safe inside XML 1.0, whatever the source held."""

from __future__ import annotations

import re

# XML 1.0 allows tab, LF, CR and these ranges; everything else (C0 controls, lone
# surrogates, U+FFFE/U+FFFF) makes a document ill-formed and must go.
_FORBIDDEN = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str | None) -> str:
    """`text` without the characters XML 1.0 forbids (escaping is the serialiser's job)."""
    if not text:
        return ""
    return _FORBIDDEN.sub("", text)
