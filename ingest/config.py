"""Settings: defaults here, overridden by a TOML file, then NEWSDEDUP_<SETTING> variables, then flags.

Every threshold the matcher uses is a named setting with its default and meaning below,
so a deployment can tune it without touching code (and a reader can find it).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

CONFIG_ENV = "NEWSDEDUP_CONFIG"
DEFAULT_CONFIG_FILE = "newsdedup.toml"


@dataclass
class Settings:
    # -- storage
    db: str = "newsdedup.db"                 # SQLite file; also NEWSDEDUP_DB or --db
    # -- reading
    max_document_bytes: int = 10_000_000     # larger files or records are reported and skipped
    replay_order: str = "sorted"             # "sorted": by published time, then id (the same stories however
                                             # a corpus is shuffled); "input": as the files list them
    # -- matching: fingerprints
    num_perm: int = 128                      # MinHash permutations of the lexical view
    anchor_num_perm: int = 128               # ... and of the anchor view (a few dozen tokens: candidates only)
    lexical_shingle: int = 5                 # character n-gram size for alphabetic scripts
    lexical_shingle_cjk: int = 3             # character n-gram size for Chinese and Japanese
    anchor_prefix: int = 5                   # language-neutral tokens are cut to this many characters
    anchor_rare_zipf: float = 3.3            # a capitalised word rarer than this (wordfreq Zipf) in the
                                             # document's language is a name ...
    anchor_crosslingual_gap: float = 1.5     # ... and so is a frequent one that other languages use
                                             # within this many Zipf points as often
    # -- matching: candidates and verification
    lexical_lsh_threshold: float = 0.25      # LSH threshold for character-shingle candidates
    anchor_lsh_threshold: float = 0.15       # LSH threshold for language-neutral candidates
    near_duplicate: float = 0.6              # lexical Jaccard at or above which two texts are one story ...
    near_duplicate_anchor: float = 0.3       # ... if their anchors (when both have some) agree this much
    anchorless_lexical_link: float = 0.4     # lexical Jaccard that links same-language texts too short for anchors
    lexical_link: float = 0.25               # lexical Jaccard that links when the anchors agree too ...
    lexical_anchor_link: float = 0.35        # ... at or above this anchor similarity
    translation_link: float = 0.3            # anchor similarity that links documents in different languages
    min_shared_anchors: int = 3              # documents with fewer anchors are not in the anchor index
    min_anchor_evidence: float = 15.0        # a cross-language link needs shared anchors whose IDF weights
                                             # (ln N/df: ~9 for a name seen once in 10k documents) add up to this
    story_link: float = 0.5                  # a document joins the story with the best mean link over
                                             # the story's members when that mean reaches this share of
                                             # the link threshold
    idf_prior_documents: int = 1000          # anchor IDF counts start as if this many documents lacked every token
    window_days: float = 7.0                 # the live index holds documents published this recently
    # -- crawling
    default_interval: int = 900              # seconds between two runs of a source, unless set per source
    max_articles_per_run: int = 200          # articles one run of one source fetches at most
    adaptive_intervals: bool = True          # poll busy sources more often, quiet ones less: a run that
                                             # stored new documents halves the source's interval, a run
                                             # that found nothing new doubles it ...
    min_interval: int = 300                  # ... never below this (or the source's own interval, if lower)
    max_interval: int = 6 * 3600             # ... nor above this (or the source's own interval, if higher)
    max_concurrent_sources: int = 8          # source runs the daemon lets run at once; the rest wait (due)
    shutdown_timeout: float = 30.0           # on SIGTERM, seconds to let running source runs finish
    fetch_connect_timeout: float = 10.0      # seconds to open the TCP (and TLS) connection
    fetch_read_timeout: float = 20.0         # seconds of silence tolerated between two reads
    fetch_total_timeout: float = 60.0        # seconds for one request, first byte sent to last received
    fetch_retries: int = 2                   # extra attempts after a timeout, 5xx or 429 (with backoff)
    max_redirects: int = 5                   # redirects one fetch follows
    per_host_concurrency: int = 2            # requests in flight to one host name
    per_host_delay: float = 1.0              # minimum seconds between two request starts to one host
                                             # (robots.txt Crawl-delay, when longer, wins)
    respect_robots: bool = True              # obey robots.txt (RFC 9309); off only for your own sites
    # -- daemon and HTTP
    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""                       # public URL of the service, for feed links; default from host:port
    allow_private_addresses: bool = False    # the crawler refuses private/loopback addresses unless on ...
    private_address_allowlist: str = ""      # ... or they are in these networks (comma-separated CIDR,
                                             # e.g. "10.1.2.0/24" for one intranet news host)
    user_agent: str = "newsdedup/0.1 (+https://github.com/newsdedup/newsdedup)"
    # -- feeds
    feed_page_size: int = 50                 # changes per RFC 5005 archive page; archive URLs name page
                                             # numbers, so keep it for the life of a deployment
    feed_stories: int = 50                   # stories in per-language and per-source feeds and on the home page
    feed_max_age: int = 60                   # seconds the live feeds may be cached (Cache-Control max-age)
    feed_title: str = "newsdedup stories"
    websub_hub: str = ""                     # WebSub hub URL to advertise and notify; empty: off
    websub_poll_seconds: float = 5.0         # how often the server looks for new changes to announce

    @classmethod
    def load(cls, config_file: str | None = None, **overrides: Any) -> Settings:
        """Defaults, then the TOML file, then the environment, then `overrides` (flags)."""
        settings = cls()
        named = config_file or os.environ.get(CONFIG_ENV)
        path = Path(named or DEFAULT_CONFIG_FILE)
        if named and not path.is_file():
            raise ValueError(f"the settings file {named!r} does not exist")
        if path.is_file():
            try:
                with path.open("rb") as fh:
                    values = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path}: not valid TOML: {exc}") from None
            settings.update(values, origin=str(path))
        env = {f.name: os.environ[f"NEWSDEDUP_{f.name.upper()}"] for f in fields(cls)
               if f"NEWSDEDUP_{f.name.upper()}" in os.environ}
        settings.update(env, origin="environment")
        settings.update({k: v for k, v in overrides.items() if v is not None}, origin="command line")
        return settings

    def update(self, values: dict[str, Any], origin: str) -> None:
        known = {f.name: f for f in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise ValueError(f"{origin}: unknown setting {name!r}; known: {', '.join(sorted(known))}")
            value = _coerce(value, type(getattr(self, name)), name, origin)
            problem = _check(name, value)
            if problem:
                raise ValueError(f"{origin}: setting {name!r} {problem}, not {value!r}")
            setattr(self, name, value)


# What each setting may hold, where its type does not say it all.
_FRACTIONS = {"near_duplicate", "near_duplicate_anchor", "anchorless_lexical_link", "lexical_link",
              "lexical_anchor_link", "translation_link", "lexical_lsh_threshold", "anchor_lsh_threshold"}
_POSITIVE = {"num_perm", "anchor_num_perm", "lexical_shingle", "lexical_shingle_cjk", "anchor_prefix",
             "max_document_bytes", "story_link", "window_days", "default_interval", "max_articles_per_run",
             "min_interval", "max_interval", "max_concurrent_sources", "fetch_connect_timeout",
             "fetch_read_timeout", "fetch_total_timeout", "per_host_concurrency", "feed_page_size",
             "feed_stories", "websub_poll_seconds"}
_NOT_NEGATIVE = {"min_shared_anchors", "min_anchor_evidence", "idf_prior_documents", "anchor_rare_zipf",
                 "anchor_crosslingual_gap", "fetch_retries", "max_redirects", "per_host_delay", "shutdown_timeout",
                 "feed_max_age"}
_CHOICES = {"replay_order": ("sorted", "input")}


def _check(name: str, value: Any) -> str | None:
    """Why `value` cannot be setting `name`, or None."""
    if isinstance(value, float) and value != value:  # NaN compares false with everything
        return "must be a number"
    if name in _FRACTIONS and not 0 < value <= 1:
        return "must be above 0 and at most 1"
    if name in _POSITIVE and not value > 0:
        return "must be above 0"
    if name in _NOT_NEGATIVE and not value >= 0:
        return "must not be negative"
    if name == "port" and not 0 < value < 65536:
        return "must be a port number (1-65535)"
    if name in _CHOICES and value not in _CHOICES[name]:
        return f"must be one of {', '.join(_CHOICES[name])}"
    return None


def _coerce(value: Any, kind: type, name: str, origin: str) -> Any:
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    text = str(value).strip()
    try:
        if kind is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(text)
        return kind(text)
    except ValueError:
        raise ValueError(f"{origin}: setting {name!r} must be a {kind.__name__}, not {value!r}") from None
