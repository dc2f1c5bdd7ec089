"""The fixed set of failure kinds every stage reports.

Logs, metrics, the replay summary and the feed's error view all count the same kinds,
so a new failure must map onto one of these rather than invent its own label.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorKind(StrEnum):
    # reading saved files and corpora
    EMPTY = "empty"                  # nothing to ingest: empty file, no text after cleaning
    BINARY = "binary"                # the body is not text (NUL bytes, image, PDF, ...)
    ENCODING = "encoding"            # text could not be decoded
    TOO_LARGE = "too_large"          # over the configured size cap
    UNSUPPORTED = "unsupported"      # unknown file type or content type
    MALFORMED = "malformed"          # a JSONL line, feed or document that does not parse
    # fetching
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    TLS = "tls"
    NOT_FOUND = "not_found"
    GONE = "gone"
    FORBIDDEN = "forbidden"
    TOO_MANY_REQUESTS = "too_many_requests"
    SERVER_ERROR = "server_error"
    CLIENT_ERROR = "client_error"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    ROBOTS_DISALLOWED = "robots_disallowed"
    PRIVATE_ADDRESS = "private_address"
    # anything a stage did not expect; always a bug to fix
    INTERNAL = "internal"


class IngestError(Exception):
    """A failure with a kind, the stage it happened in and a message that says what to do."""

    def __init__(self, kind: ErrorKind, stage: str, message: str) -> None:
        super().__init__(f"{stage}: {kind.value}: {message}")
        self.kind = kind
        self.stage = stage
        self.message = message

    def __reduce__(self) -> tuple[type[IngestError], tuple[ErrorKind, str, str]]:
        # Errors cross process boundaries (replay's worker processes) whole.
        return (type(self), (self.kind, self.stage, self.message))
