"""The records that cross a package boundary: one frozen type each, and the change kinds.

The pipeline hands storage a `NewDocument`; storage hands back `StoredDocument`,
`StoredSignature`, `Source` and `FetchState`; the feeds read `Change`s of a `ChangeKind`.
They live in `storage`, the bottom layer, because every package may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChangeKind(StrEnum):
    """What one row of the change log says happened to a story."""

    CREATED = "created"          # a story's first document
    VERSION = "version"          # one more document in a language the story has
    TRANSLATION = "translation"  # a document in a language the story lacked
    CHANGED = "changed"          # a stored document's text changed


@dataclass(frozen=True)
class NewDocument:
    """What the pipeline asks storage to write for one document, in one transaction."""

    key: str
    title: str
    text: str
    lang: str
    url: str | None
    published: str | None
    updated: str | None
    authors: tuple[str, ...]
    description: str | None
    image: str | None
    content_hash: str
    source_id: int | None
    window_time: float
    lexical: bytes
    anchor_minhash: bytes
    anchors: tuple[str, ...]
    grouping: GroupingEvidence | None = None  # why it joins an existing story (None: a new one, or unknown)


@dataclass(frozen=True)
class StoredDocument:
    """A stored document as the pipeline needs it to decide whether an input is new."""

    id: int
    story_id: str
    content_hash: str
    revision: int
    lang: str


@dataclass(frozen=True)
class StoredSignature:
    document_id: int
    story_id: str
    lang: str
    content_hash: str
    window_time: float
    lexical: bytes
    anchor_minhash: bytes
    anchors: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """What the crawler polls, how often, and how its last run went."""

    id: int
    url: str
    title: str | None
    kind: str | None              # feed, sitemap or html: learned at the first fetch
    lang: str | None              # language hint for its articles
    interval_seconds: int
    poll_interval: int | None     # the crawler's current (adaptive) interval; None: interval_seconds
    enabled: bool
    added: str
    next_due: float | None        # epoch seconds: a restarted daemon resumes from here
    last_run: str | None
    last_success: str | None
    last_error_kind: str | None
    last_error: str | None
    consecutive_failures: int = 0      # runs in a row that failed to read the source
    failing_since: str | None = None   # when the current run of failures began
    paused_reason: str | None = None   # why the crawler stopped polling it (None: it polls)

    @property
    def current_interval(self) -> int:
        return self.poll_interval or self.interval_seconds

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


@dataclass(frozen=True)
class SourceLease:
    """Who holds a source (`Sources.lease`) and until when (epoch seconds)."""

    worker: str                   # the holder's worker id, "HOSTNAME:PID" for the daemon
    until: float


class FrontierState(StrEnum):
    """Where an article stands in the crawler's memory."""

    RETRY = "retry"          # to fetch (again): it failed transiently, or did not fit in a run
    REVISIT = "revisit"      # stored; to re-check with a conditional GET on the revisit schedule
    DONE = "done"            # stored and past its revisits: re-fetched only when its listing changes
    GIVEN_UP = "given_up"    # failed for good (or too often): `last_error` says why


@dataclass(frozen=True)
class FrontierEntry:
    """The crawler's memory of one article URL, kept between runs."""

    url: str
    source_id: int | None
    state: FrontierState
    attempts: int             # failed fetches in a row (RETRY) or revisits made (REVISIT, DONE)
    next_at: float | None     # epoch seconds of the next try or revisit; None: none planned
    first_seen: float
    listed_as: str | None     # the listing's item as last seen: a change there triggers a re-fetch
    last_error_kind: str | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class FetchState:
    """Per URL: the validators and body hash of its last fetch."""

    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    status: int | None
    fetched_at: str


@dataclass(frozen=True)
class Counts:
    documents: int
    stories: int
    changes: int
    errors: int


@dataclass(frozen=True)
class ClusterRow:
    """One stored document with the story it belongs to (`newsdedup clusters`)."""

    id: str            # the corpus id, file key or URL
    cluster: str       # its story id
    lang: str
    title: str


@dataclass(frozen=True)
class GroupingEvidence:
    """Why a document joined its story: the link that decided it, as the pipeline saw it then."""

    matched_document_id: int | None       # the story member it matched (None: unknown)
    rule: str                             # exact-copy, near-duplicate, paraphrase or translation
    score: float                          # the link's strength: its measure over the rule's threshold
    shared_anchors: tuple[str, ...] = ()  # language-neutral tokens both documents hold
    lexical_similarity: float | None = None  # estimated Jaccard of the two texts' character shingles

    def evidence_json(self) -> dict[str, object]:
        return {"shared_anchors": list(self.shared_anchors), "lexical_similarity": self.lexical_similarity}


# -- what the feeds and the read commands read (`storage.interfaces.FeedReader`)


@dataclass(frozen=True)
class ChangeRow:
    seq: int
    story_id: str
    document_id: int
    kind: ChangeKind
    at: str


@dataclass(frozen=True)
class StoryRow:
    id: str
    representative_id: int
    first_seen: str


@dataclass(frozen=True)
class DocumentRow:
    id: int
    key: str
    story_id: str
    url: str | None
    lang: str
    published: str | None
    authors: tuple[str, ...]
    description: str | None
    source_id: int | None


@dataclass(frozen=True)
class RevisionRow:
    document_id: int
    revision: int
    title: str
    text: str
    # the version's metadata as it was at this revision, when `meta_kept` (older rows: the document's)
    meta_kept: bool = False
    url: str | None = None
    lang: str | None = None
    published: str | None = None
    authors: tuple[str, ...] | None = None
    description: str | None = None


@dataclass(frozen=True)
class SourceRow:
    id: int
    title: str | None
    url: str | None


@dataclass(frozen=True)
class GroupingRow:
    """Why a document joined its story (`story_links`): the deciding link and its evidence."""

    document_id: int
    matched_document_id: int | None
    rule: str
    score: float
    shared_anchors: tuple[str, ...]
    lexical_similarity: float | None


@dataclass(frozen=True)
class SearchHit:
    story_id: str
    document_id: int     # the best-matching document of the story


@dataclass(frozen=True)
class Overview:
    """What `newsdedup status` reports."""

    documents: int
    stories: int
    changes: int
    errors: int
    languages: list[tuple[str, int]]
    created: str | None
    last_change: str | None
    sources: list[dict[str, object]]
