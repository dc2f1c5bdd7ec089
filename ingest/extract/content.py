"""Find a page's main text: text blocks, scored, the best DOM subtree, then block by block.

One walk over the body cuts it into text blocks (the text between two block-level
boundaries), measuring each block's length and how much of it is link text. A block's
value is positive for prose and negative for link lists and furniture; every element
gets the sum of its blocks' values, and the element with the highest sum is the main
content, the smallest subtree that holds most prose and least boilerplate. Inside it,
each block is kept or dropped by its own shape and its neighbours' (a short line between
two paragraphs is a subheading; the same line after the last paragraph is a tag list).

Nothing here knows a site: the signals are length, punctuation, link density, markup
semantics (nav, aside, footer, hidden) and the words sites use in class names for
furniture (share, comment, related), which are the same across sites and languages.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field

from lxml import etree

from ingest.extract.boilerplate import CONSENT_MAX_CHARS, is_comment_heading, is_consent_notice, is_teaser_heading

# Elements that start a new block of text; everything else is inline and joins the flow.
BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main menu nav ol p "
    "pre section summary table tbody td tfoot th thead tr ul caption html legend".split()
)
# Removed before the walk, by libxml2 (fast): never visible article text.
STRIP_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "video", "audio", "picture", "img", "source", "select", "option", "button",
    "input", "textarea", "link", "meta", "map", "head", "title", "dialog",
    "rt", "rp",  # ruby annotations: the reading of the base text, printed above it
)
# Skipped during the walk: page furniture by HTML semantics.
SKIP_TAGS = frozenset("nav aside footer figure figcaption form menu".split())
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_PHRASE_TAGS = frozenset("a abbr b bdi bdo cite code dfn em i kbd mark q s samp small strong sub sup u var".split())
# Skip tags that may wrap the whole page (see _Segmenter._skips).
_WRAPPER_SKIP_TAGS = frozenset("form aside nav footer menu".split())

# Class and id words that name furniture. Blocks under a strong word count against the
# container that holds them; under a weak one (a "header" or "widget" sometimes holds the
# article) they count for less. A name with a furniture word is furniture even when it
# also names content ("article-share"); a separate content name ("article-body
# pagination-first") overrides.
_STRONG = (
    r"comments?|commentlist|disqus|share|sharing|sharebar|social|socials|related|recommended|"
    r"recommendations?|newsletter|subscribe|subscription|signup|promo|promos|promotion|advert|"
    r"advertisement|advertising|adverts|ads?|adslot|adunit|dfp|sponsor|sponsored|outbrain|taboola|"
    r"cookie|cookies|consent|gdpr|breadcrumbs?|popup|modal|byline|caption|credits?|"
    r"more-stories|also-read|trending|most-popular|mostpopular|most-read|mostread|"
    r"login|visually-hidden|sr-only|screen-reader-text|skip-link|author-bio|authorbio|signature|"
    r"gallery|galerie|bildergalerie|slideshow|carousel|"
    r"pagination|pager|nav|navbar|navigation|toolbar|inline-related"
)
_WEAK = (
    r"header|footer|sidebar|side-bar|widget|banner|teaser|teasers|aside|extra|links|topics|meta|"
    r"metadata|post-meta|entry-meta|article-meta|dateline|timestamp|published|tags|tag-list|taglist|"
    r"keywords|bio|rating|poll|tools|follow|masthead|overlay"
)
# Not furniture words, though they look it: "read more" expanders hold the rest of the
# article, print-only blocks its full text, tab menus the tabs of a shop's description or
# a recipe's steps. Their links alone ("Read more", the tab labels) are link lists.
# A furniture word counts as the first or last part of a class name ("share-bar",
# "article-share"), not inside one ("non-ad-column"); BEM's "__" and "--" separate names.
_STRONG_RE = re.compile(rf"^(?:{_STRONG})(?:[-_]|$)|[-_](?:{_STRONG})$")
_WEAK_RE = re.compile(rf"^(?:{_WEAK})(?:[-_]|$)|[-_](?:{_WEAK})$")
# Furniture words that name nothing else count anywhere in a name ("c-cookie-text").
_STRONG_ANYWHERE_RE = re.compile(
    r"(?:^|[-_])(?:cookies?|consent|gdpr|newsletter|outbrain|taboola|disqus|advertisement|advertising|"
    r"breadcrumbs?|sharebar|commentlist)(?:[-_]|$)"
)
_NAME_SEPARATOR = re.compile(r"[-_]")
_COMMENTS_RE = re.compile(r"^(?:comments?|commentlist)(?:[-_]|$)|[-_](?:comments?)$")
_BEM_SEPARATOR = re.compile(r"__|--")
_SLUG_MIN_SEPARATORS = 3
_CONTENT_RE = re.compile(r"(?:^|[-_])(?:article|content|body|story|entry|post)(?:[-_]|$)")
_STATE_CLASS = re.compile(
    r"^(?:tag|category|cat|categories|format|status|type|has|with|no|is|js|lang|page-id|"
    r"postid|single|template|label)[-_]|[-_](?:enabled|disabled|open|closed|active|visible|"
    r"loaded|ready|on|off|first|last|\d+)$"
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Scripts where one character is about a word: length counts these three times.
_WIDE_CHARS = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END_CHARS = frozenset(".!?。！？…:;\"'”’»)")
_SOFT_HYPHEN = "\u00ad"
# Each check measures a subtree's text; past this many the page is adversarial.
_MAX_WRAPPER_CHECKS = 200
# The chosen container is the smallest holding this share of the best container's score.
TIGHTEN = 0.9
# ...and at least this share of its prose (the positive values of its blocks).
TIGHTEN_MIN_PROSE = 0.5
# furniture_kind() values: a strong furniture name, a weak hint, none.
STRONG_FURNITURE, WEAK_FURNITURE, NOT_FURNITURE = 2, 1, 0
# Prose under a weak furniture name counts this much: such names sometimes hold the article.
WEAK_FURNITURE_WEIGHT = 0.3
# A block more than this share links is a link list (menus, tag clouds, teaser headlines).
LINK_LIST_DENSITY = 0.5
# Below this many characters a line is a label, a dateline or a button, not a paragraph.
SHORT_BLOCK_CHARS = 25
# What a short block outside headings and table cells costs: a little, so that a container
# of many labels ("Home", "Share", "Print") loses to one of few paragraphs.
SHORT_BLOCK_VALUE = -2.0
# Prose that ends like a sentence is worth this much more than a line that does not.
SENTENCE_BONUS = 1.5
# This many unlinked paragraphs after a "Read more" are the article going on, not teasers.
_PROSE_RUN_BLOCKS = 3
# A chosen node grows at most this many levels up to its container (see _grow).
_GROW_MAX_LEVELS = 3
# A short line at the edge of the article is kept as a sentence from this many words.
_EDGE_SENTENCE_MIN_WORDS = 4
_TABLE_PARTS = frozenset("tr td th tbody thead tfoot".split())
# A teaser is a small repeated item: a headline, a summary, perhaps a date and a label.
_TEASER_MAX_BLOCKS = 6
# A linked headline is at least this long (shorter links are "more" or a category label)...
_LINKED_LINE_MIN_CHARS = 15
# ...and links this share of its line.
_LINKED_LINE_SHARE = 0.9
# A single teaser's summary is short; longer, it is an article that opens with a link.
_TEASER_SINGLE_MAX_CHARS = 700
_TEASER_SUMMARY_MIN_CHARS = 40
_TEASER_SUMMARY_MAX_CHARS = 600
# A teaser headline is nearly all link.
_TEASER_HEADLINE_DENSITY = 0.8
# An element holding more than this share of the body's text is a page wrapper.
WRAPPER_SHARE = 0.5
# A good (prose) block: this many unlinked characters at least, and either this long or
# ending like a sentence.
GOOD_MIN_UNLINKED_CHARS = 50
GOOD_MIN_CHARS = 80
# A link-heavy block with fewer unlinked characters than this is a link list, "bad".
BAD_MAX_UNLINKED_CHARS = 60
# Table cells and list items up to this link density are kept beside prose.
CELL_MAX_LINK_DENSITY = 0.3


@dataclass
class Block:
    text: str
    element: etree._Element  # the block element that holds the text
    tag: str
    chars: int               # length, wide characters counted as three
    link_chars: int
    value: float = 0.0       # prose (> 0) or furniture (< 0), furniture class names included
    raw_value: float = 0.0   # the same from the text's shape alone
    in_heading: bool = False
    row: etree._Element | None = None        # the table row of a table cell
    furniture: etree._Element | None = None  # the innermost furniture-named ancestor
    teaser: bool = False                     # part of a headline-and-summary teaser
    index: int = 0                           # position in the page's blocks
    linked_first_line: bool = False          # "<a>headline</a><br>summary"
    lead_link_chars: int = 0                 # length of the link the block opens with
    anchor_chars: int = 0                    # link text that points into the page itself ("#p123")

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0


@dataclass
class Node:
    element: etree._Element
    score: float
    first: int               # index of its first block
    end: int                 # one past its last block
    prose: float = 0.0       # the raw value of its prose blocks, class names ignored


@dataclass
class Segmented:
    blocks: list[Block] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)


def is_hidden(el: etree._Element) -> bool:
    """True for an element the browser does not show."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def furniture_kind(el: etree._Element, *, comments_are_content: bool = False) -> int:
    """2 for an element named or marked as furniture, 1 for a weaker hint, 0 for neither.

    Each class and id name is read on its own. A name for content ("article-body") beside
    one for furniture ("pagination-first") wins: the furniture word then describes a state
    of the article. Names for state or taxonomy are ignored: WordPress marks articles
    "tag-social-media category-ads has-comments". On a live blog the entries are often
    named comments (`comments_are_content`): there the comment words name nothing.
    """
    role = el.get("role")
    if role in ("navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alert"):
        return STRONG_FURNITURE
    names = el.get("class")
    ident = el.get("id")
    if not names and not ident:
        return NOT_FURNITURE
    return _names_kind(names or "", ident or "", comments_are_content)


@functools.lru_cache(maxsize=4096)
def _names_kind(names: str, ident: str, comments_are_content: bool = False) -> int:
    """furniture_kind() of a class attribute and an id; pages repeat them, so it is cached."""
    # An id of many words is an anchor made from a heading ("sharing-with-a-single-
    # developer"), not a component name.
    if ident and len(_NAME_SEPARATOR.findall(ident)) < _SLUG_MIN_SEPARATORS:
        names = f"{names} {ident}"
    kind = NOT_FURNITURE
    content = False
    for token in names.lower().split():
        if _STATE_CLASS.search(token):
            continue
        # BEM: "block__element--modifier", each part read on its own. A modifier may name
        # furniture ("rail--trending") or a state ("section--has-ads"), which is ignored.
        parts = [part for part in _BEM_SEPARATOR.split(token) if part and not _STATE_CLASS.search(part)]
        if comments_are_content:
            parts = [part for part in parts if not _COMMENTS_RE.search(part)]
        if any(_STRONG_RE.search(part) or _STRONG_ANYWHERE_RE.search(part) for part in parts):
            kind = STRONG_FURNITURE
        elif any(_WEAK_RE.search(part) for part in parts):
            kind = max(kind, WEAK_FURNITURE)
        elif any(_CONTENT_RE.search(part) for part in parts):
            content = True
    return NOT_FURNITURE if content else kind


def ends_sentence(text: str) -> bool:
    """True when the last visible character closes a sentence (or a quote or bracket)."""
    stripped = text.rstrip()
    return bool(stripped) and stripped[-1] in _SENTENCE_END_CHARS


def text_length(text: str) -> int:
    if text.isascii():
        return len(text)  # the common case, without the regex
    return len(text) + 2 * len(_WIDE_CHARS.findall(text))


def block_value(block: Block) -> float:
    """How much a block looks like article prose (> 0) or like furniture (< 0)."""
    n = block.chars
    density = block.link_density
    if density > LINK_LIST_DENSITY:
        return -n * density
    if block.in_heading or block.row is not None and n < SHORT_BLOCK_CHARS:
        return 0.0  # headings and table cells are short by nature
    if n < SHORT_BLOCK_CHARS:
        return SHORT_BLOCK_VALUE
    if n <= CONSENT_MAX_CHARS and is_consent_notice(block.text):
        return -n  # prose in shape, furniture in meaning: the container must avoid it
    value = n * (1 - density) ** 2
    if ends_sentence(block.text):
        value *= SENTENCE_BONUS
    return value


def segment(body: etree._Element, guard_chars: int, *, live_blog: bool = False) -> Segmented:
    """Cut `body` into text blocks in document order and score every block element.

    Hidden elements and nav/aside/footer/figure are skipped. Elements named as furniture
    are walked but their blocks count against the element holding them, so the chosen
    container avoids them; one that holds most of the page's text (`guard_chars` is the
    body's length) is a page wrapper ("with-sidebar", "widget Blog"), not furniture.
    On a page that says it is a live blog, elements named comments are its entries.
    """
    return _Segmenter(body, guard_chars, live_blog=live_blog).run()


@dataclass
class _Frame:
    """An open block element during the walk: what its blocks have added up to so far."""

    element: etree._Element
    first: int               # index of its first block
    score: float = 0.0
    prose: float = 0.0


@dataclass
class _Furniture:
    """An open furniture-named element during the walk."""

    element: etree._Element
    kind: int                # STRONG_FURNITURE or WEAK_FURNITURE


class _Segmenter:
    """One walk over a body: text is gathered into the open block until a boundary flushes it.

    The walk keeps a stack of open block elements (frames), whose scores sum their
    blocks' values and pass to the parent when they close, and a stack of open
    furniture-named elements, which decide how a block's value counts.
    """

    def __init__(self, body: etree._Element, guard_chars: int, *, live_blog: bool = False) -> None:
        self.body = body
        self.guard_chars = guard_chars
        self.live_blog = live_blog
        self.out = Segmented()
        self.frames: list[_Frame] = []
        self.furniture: list[_Furniture] = []
        self.skipped: etree._Element | None = None
        self.wrapper_checks = 0
        self.link_depth = 0
        self.anchor_depth = 0  # open links to a place in the page itself (href="#...")
        self.heading_depth = 0
        self._start_block_text()

    def _start_block_text(self) -> None:
        self.parts: list[str] = []
        self.link_chars = 0
        self.anchor_chars = 0
        self.line_link_chars = -1  # link length of the block's first line, once a <br> ends it
        self.lead_link = 0         # link length before the block's first unlinked text
        self.lead_open = True

    def run(self) -> Segmented:
        walker = etree.iterwalk(self.body, events=("start", "end"))
        for event, el in walker:
            if not isinstance(el.tag, str):
                continue  # a comment or processing instruction: only its tail counts
            if event == "start":
                if self._skips(el):
                    walker.skip_subtree()
                    self.skipped = el
                    if el.tag in BLOCK_TAGS:
                        self.flush()
                    continue
                self.open(el)
            else:
                if el is self.skipped:
                    self.skipped = None
                else:
                    self.close(el)
                if el.tail and el is not self.body:
                    self.add(el.tail)
        self.flush()
        return self.out

    def _skips(self, el: etree._Element) -> bool:
        """True for hidden elements and furniture by semantics.

        A form, aside, nav or footer that holds most of the page is a wrapper: an ASP.NET
        page is one <form>, and an unclosed <nav> or <footer> swallows everything after it.
        """
        if el is self.body or not (is_hidden(el) or el.tag in SKIP_TAGS):
            return False
        if el.tag not in _WRAPPER_SKIP_TAGS or el.tag == "aside" and self._furniture_kind(el):
            return True  # an <aside id="sidebar"> is a sidebar, however long its live feed
        return not _is_wrapper(el, self.guard_chars)

    def _furniture_kind(self, el: etree._Element) -> int:
        return furniture_kind(el, comments_are_content=self.live_blog)

    def open(self, el: etree._Element) -> None:
        tag = el.tag
        self._open_furniture(el)
        if tag in BLOCK_TAGS:
            self.flush()
            self.frames.append(_Frame(el, len(self.out.blocks)))
            if tag in HEADINGS:
                self.heading_depth += 1
        elif tag == "a":
            self.link_depth += 1
            if _is_anchor_link(el):
                self.anchor_depth += 1
        elif tag == "br":
            if self.line_link_chars < 0:
                self.line_link_chars = self.link_chars
            self.parts.append("\n")
        if el.text:
            self.add(el.text)

    def _open_furniture(self, el: etree._Element) -> None:
        # Links and phrase markup are not read for furniture names: a named one ("<a
        # class='popup'>" on a glossary word) would cut its paragraph in pieces, and a
        # link's text counts as links anyway.
        kind = self._furniture_kind(el) if el is not self.body and el.tag not in _PHRASE_TAGS else 0
        if not kind:
            return
        # Inside furniture no wrapper can hide (it would hold less text than the
        # furniture around it), and the number of length checks stays bounded.
        if not self.furniture:
            self.wrapper_checks += 1
        if (self.furniture or self.wrapper_checks >= _MAX_WRAPPER_CHECKS
                or not self.live_blog and _is_comment_section(el)
                or not _is_wrapper(el, self.guard_chars)):
            self.flush()
            self.furniture.append(_Furniture(el, kind))

    def close(self, el: etree._Element) -> None:
        tag = el.tag
        if tag in BLOCK_TAGS:
            self.flush()
            self._close_frame()
            if tag in HEADINGS:
                self.heading_depth -= 1
        elif tag == "a":
            self.link_depth = max(0, self.link_depth - 1)
            if _is_anchor_link(el):
                self.anchor_depth = max(0, self.anchor_depth - 1)
        if self.furniture and self.furniture[-1].element is el:
            self.flush()
            self.furniture.pop()

    def _close_frame(self) -> None:
        frame = self.frames.pop()
        blocks = self.out.blocks
        score = frame.score
        # A table row with a linked first cell is a record of a data table, not a teaser.
        if (1 <= len(blocks) - frame.first <= _TEASER_MAX_BLOCKS and frame.element.tag not in _TABLE_PARTS
                and _is_teaser(frame.element, blocks, frame.first)):
            for block in blocks[frame.first:]:
                if block.value > 0:
                    score -= 2 * block.value
                    block.value = -block.value
                block.teaser = True
        self.out.nodes.append(Node(frame.element, score, frame.first, len(blocks), frame.prose))
        if self.frames:
            self.frames[-1].score += score
            self.frames[-1].prose += frame.prose

    def add(self, text: str) -> None:
        self.parts.append(text)
        if self.link_depth:
            length = text_length(text.strip())
            self.link_chars += length
            if self.anchor_depth:
                self.anchor_chars += length
            if self.lead_open:
                self.lead_link += length
        elif self.lead_open and not text.isspace():
            self.lead_open = False

    def flush(self) -> None:
        """End the text gathered so far as one block of the innermost open block element."""
        if not self.parts:
            return
        raw = "".join(self.parts)
        if _SOFT_HYPHEN in raw:
            raw = raw.replace(_SOFT_HYPHEN, "")  # a hyphenation hint inside a word, never shown
        links, first_line_links, lead = self.link_chars, self.line_link_chars, self.lead_link
        anchors = self.anchor_chars
        self._start_block_text()
        text = "\n".join(line for line in (" ".join(x.split()) for x in raw.split("\n")) if line)
        if not text:
            return
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)  # "é" as e + combining accent is "é"
        top = self.frames[-1]
        tag = top.element.tag
        block = Block(text=text, element=top.element, tag=tag, chars=text_length(text),
                      link_chars=min(links, len(text)), in_heading=self.heading_depth > 0 or tag in HEADINGS)
        if tag in ("td", "th") and len(self.frames) > 1 and self.frames[-2].element.tag == "tr":
            block.row = self.frames[-2].element
        block.lead_link_chars = lead
        block.anchor_chars = anchors
        if first_line_links >= _LINKED_LINE_MIN_CHARS and "\n" in text:
            head = text.split("\n", 1)[0]
            block.linked_first_line = first_line_links >= _LINKED_LINE_SHARE * text_length(head)
        block.raw_value = block.value = block_value(block)
        if self.furniture:
            self._count_as_furniture(block)
        block.index = len(self.out.blocks)
        self.out.blocks.append(block)
        top.score += block.value
        if block.raw_value > 0:
            top.prose += block.raw_value

    def _count_as_furniture(self, block: Block) -> None:
        block.furniture = self.furniture[-1].element
        if any(f.kind == STRONG_FURNITURE for f in self.furniture):
            # Prose in furniture (comments, teasers) pushes the container away; link
            # lists count against as anywhere; short labels ("Share") are neutral.
            if block.raw_value > 0 or block.link_density > LINK_LIST_DENSITY:
                block.value = -abs(block.raw_value)
            else:
                block.value = 0.0
        elif block.value > 0:
            block.value *= WEAK_FURNITURE_WEIGHT


def _is_teaser(element: etree._Element, blocks: list[Block], first: int) -> bool:
    """True for a teaser of another story: a linked headline, one short summary, repeated.

    Lists of teasers after an article hold more prose than many articles; what gives them
    away is the shape of each item (a headline that is a link, then one summary) and the
    repetition (the item has a sibling of the same tag and class).
    """
    items = blocks[first:]
    if any(b.anchor_chars for b in items):
        return False  # a headline linking into the page is a post's permalink (forums, comments)
    if len(items) == 1:
        single = items[0]
        truncated = single.lead_link_chars >= _LINKED_LINE_MIN_CHARS and single.text.endswith(("...", "…"))
        if not (single.linked_first_line or truncated) or single.chars > _TEASER_SINGLE_MAX_CHARS:
            return False
        return _has_twin(element)
    headline = next((i for i, b in enumerate(items)
                     if b.link_density >= _TEASER_HEADLINE_DENSITY and b.link_chars >= _LINKED_LINE_MIN_CHARS), None)
    prose = [i for i, b in enumerate(items) if b.raw_value > 0 and b.link_density < LINK_LIST_DENSITY
             and b.chars >= _TEASER_SUMMARY_MIN_CHARS]
    if (headline is None or len(prose) != 1 or prose[0] < headline
            or items[prose[0]].chars > _TEASER_SUMMARY_MAX_CHARS):
        return False
    return _has_twin(element)


def _is_anchor_link(el: etree._Element) -> bool:
    return (el.get("href") or "").startswith("#")


def _has_twin(element: etree._Element) -> bool:
    """True when a sibling has the same tag and main class: one item of a repeated list.

    Only the first class name is compared: list items carry their own ids and
    taxonomy ("post-753156 category-economy") beside the shared component name.
    """
    kind = (element.get("class") or "").split()[:1]
    for sibling in (element.getprevious(), element.getnext()):
        if sibling is not None and sibling.tag == element.tag and (sibling.get("class") or "").split()[:1] == kind:
            return True
    return False


def _is_comment_section(el: etree._Element) -> bool:
    """True for an element named as the comments: never a page wrapper, however long.

    A busy thread holds more text than the article it follows; the page's wrapper is
    never named for its comments.
    """
    names = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return "comment" in names and any(_COMMENTS_RE.search(part) for token in names.split()
                                      for part in _BEM_SEPARATOR.split(token))


def _is_wrapper(el: etree._Element, guard_chars: int) -> bool:
    """True for an element that holds most of the page's text, whatever its name."""
    if guard_chars <= 0:
        return False
    return bool(el.xpath("string-length()") > WRAPPER_SHARE * guard_chars)


def choose_node(seg: Segmented) -> tuple[Node | None, bool]:
    """The element whose blocks add up to the most prose, and whether names were used.

    Children close before their parents, so on a tie the deeper node wins. When every
    block sits in furniture-named markup the names are ignored (a page that calls its
    article a "widget" still has one).
    """
    teasers_before = [0]  # teaser blocks before each index
    for block in seg.blocks:
        teasers_before.append(teasers_before[-1] + block.teaser)
    best: Node | None = None
    for node in seg.nodes:
        # A node inside a teaser closed before the teaser was known and kept its score.
        inside_teaser = teasers_before[node.end] - teasers_before[node.first] == node.end - node.first
        if node.end > node.first and not inside_teaser and (best is None or node.score > best.score):
            best = node
    if best is not None and best.score > 0:
        return _grow(seg, _tighten(seg, best)), True
    with_text = [node for node in seg.nodes if node.end > node.first]
    if not with_text:
        return None, True
    best = with_text[0]
    for node in with_text:
        if node.prose > best.prose:
            best = node
    if best.prose <= 0:
        best = _most_text(seg)
    return best, False


def _most_text(seg: Segmented) -> Node:
    """The node with the most unlinked text: for a page of short lines or headings only."""
    before = [0]  # unlinked characters in the blocks before each index
    for block in seg.blocks:
        before.append(before[-1] + block.chars - block.link_chars)
    best = seg.nodes[0]
    for node in seg.nodes:
        if before[node.end] - before[node.first] > before[best.end] - before[best.first]:
            best = node
    return best


def _tighten(seg: Segmented, best: Node | None) -> Node | None:
    """The smallest node inside `best` that holds nearly all of its score.

    A page-wide wrapper can outscore the article by a header blurb or a footer address;
    the article's own container, holding all but a sliver of the prose, is the answer.
    It must also hold most of the prose: an article holding a teaser rail or a share
    bar, which score against it, can score no more than its first paragraph.
    """
    if best is None:
        return None
    gain_before = [0.0]  # the positive values of the blocks before each index
    for block in seg.blocks:
        gain_before.append(gain_before[-1] + max(block.value, 0.0))

    def gain(node: Node) -> float:
        return gain_before[node.end] - gain_before[node.first]

    floor = TIGHTEN * best.score
    gain_floor = TIGHTEN_MIN_PROSE * gain(best)
    for node in seg.nodes:
        if (best.first <= node.first and node.end <= best.end and node.score >= floor
                and gain(node) >= gain_floor and node.end - node.first < best.end - best.first):
            best = node
    return best


def _grow(seg: Segmented, node: Node | None) -> Node | None:
    """The container of `node` when only furniture that select_blocks drops made it lose.

    Teasers and furniture-named boxes inside an article score against it, and rightly
    push the choice away from pages of teasers; but when the article's own container
    loses to one of its paragraphs only because of them, the container is the article:
    select_blocks removes that furniture from it anyway.
    """
    if node is None:
        return None
    by_element = {n.element: n for n in seg.nodes}
    for _ in range(_GROW_MAX_LEVELS):
        parent = by_element.get(node.element.getparent())
        if parent is None or parent.score >= node.score:
            break  # nothing to fix: the choice or _tighten already weighed the parent
        if _score_without_dropped(seg, parent) * TIGHTEN < node.score:
            break
        node = parent
    return node


def _score_without_dropped(seg: Segmented, node: Node) -> float:
    """`node`'s score without its teasers and furniture-named blocks, which select_blocks drops."""
    score = node.score
    for block in seg.blocks[node.first:node.end]:
        if block.value < 0 and (block.teaser or block.furniture is not None
                                and block.furniture is not node.element
                                and any(a is node.element for a in block.furniture.iterancestors())):
            score -= block.value
    return score


def _is_good(block: Block) -> bool:
    if block.raw_value <= 0 or block.in_heading or block.link_density > LINK_LIST_DENSITY:
        return False
    if block.chars - block.link_chars < GOOD_MIN_UNLINKED_CHARS:
        return False
    return block.chars >= GOOD_MIN_CHARS or ends_sentence(block.text)


def _kind(block: Block) -> str:
    if _is_good(block):
        return "good"
    if block.link_density > LINK_LIST_DENSITY and block.chars - block.link_chars < BAD_MAX_UNLINKED_CHARS:
        return "bad"
    if (block.row is not None or block.tag in ("li", "dd", "dt")) and block.link_density <= CELL_MAX_LINK_DENSITY:
        return "cell"  # table cells and list items: short by nature, kept beside prose
    return "short"


def select_blocks(seg: Segmented, node: Node, *, use_names: bool = True, keep_teasers: bool = False) -> list[Block]:
    """The blocks of the chosen container that are article text.

    Blocks in furniture-named markup inside the container are dropped; prose is kept;
    link lists are dropped. A short block takes the class of its neighbours: kept
    between prose blocks (a subheading, a one-line paragraph), dropped at the edges,
    where short lines are datelines, tag lists and share bars. A heading needs prose
    after it, a data table prose beside it. Teasers are dropped unless `keep_teasers`
    (a page that is nothing but repeated items: a forum thread, a list of posts).
    """
    blocks = seg.blocks[node.first:node.end]
    if use_names:
        outside = {node.element, *node.element.iterancestors()}
        blocks = [b for b in blocks if b.furniture is None or b.furniture in outside]
    if not keep_teasers:
        blocks = [b for b in blocks if not b.teaser]
    kinds = [_kind(b) for b in blocks]
    # A linked name in a row of a data table ("<th><a>Film</a></th><td>1947</td><td>A
    # woman who...</td>") belongs to the row's prose, not to a link list.
    # The same for a linked item in a list whose other items are prose ("<li><a>Bug
    # 1553982</a> lands</li>" among paragraphs of release notes).
    prose_rows = {b.row for b, kind in zip(blocks, kinds, strict=True) if kind == "good" and b.row is not None}
    prose_lists = {b.element.getparent() for b, kind in zip(blocks, kinds, strict=True)
                   if kind == "good" and b.tag == "li"}
    if prose_rows or prose_lists:
        kinds = ["cell" if kind == "bad" and _in_prose(b, prose_rows, prose_lists) else kind
                 for b, kind in zip(blocks, kinds, strict=True)]
    n = len(blocks)
    # the nearest decided (good or bad) kind on each side of every block
    left: list[str | None] = [None] * n
    right: list[str | None] = [None] * n
    last: str | None = None
    for i in range(n):
        left[i] = last
        if kinds[i] in ("good", "bad"):
            last = kinds[i]
    last = None
    for i in range(n - 1, -1, -1):
        right[i] = last
        if kinds[i] in ("good", "bad"):
            last = kinds[i]
    good = [i for i, kind in enumerate(kinds) if kind == "good"]
    first_good, last_good = (good[0], good[-1]) if good else (n, -1)
    keep = [False] * n
    for i, block in enumerate(blocks):
        kind = kinds[i]
        if kind == "good":
            keep[i] = True
        elif kind == "cell":
            keep[i] = left[i] == "good" or right[i] == "good"
        elif kind == "short":
            inside = first_good < i < last_good
            keep[i] = (inside and (left[i] == "good" or right[i] == "good")
                       or block.in_heading and right[i] == "good" or _is_edge_sentence(block, i, first_good, last_good))
    # A heading over a kept table or list ("Öffnungszeiten" above the hours) heads it.
    for i in range(n - 1):
        if blocks[i].in_heading and not keep[i] and kinds[i + 1] == "cell" and keep[i + 1]:
            keep[i] = True
    return [block for block, kept in zip(blocks, keep, strict=True) if kept]


def _is_edge_sentence(block: Block, i: int, first_good: int, last_good: int) -> bool:
    """True for a short sentence right before the first paragraph or after the last one.

    A post's greeting or closing line ("Hallo zusammen,", "Merci pour votre lecture !")
    is a sentence of several words without links; datelines, tag lists and share bars at
    the edges are not.
    """
    if i != first_good - 1 and i != last_good + 1:
        return False
    return (block.link_chars == 0 and not block.in_heading and block.row is None
            and len(block.text.split()) >= _EDGE_SENTENCE_MIN_WORDS and ends_sentence(block.text))


def fallback_blocks(seg: Segmented, node: Node) -> list[Block]:
    """The chosen container's text for a page where select_blocks kept nothing.

    A post of a few short lines, a table or a list of headings has no paragraph to anchor
    on, so every block is "short": all of them are kept but link lists and teasers.
    """
    return [b for b in seg.blocks[node.first:node.end] if not b.teaser and _kind(b) != "bad"]


def _in_prose(block: Block, prose_rows: set[etree._Element], prose_lists: set[etree._Element]) -> bool:
    """True for a block in a table row or a list that also holds a paragraph of prose."""
    if block.row is not None:
        return block.row in prose_rows
    return block.tag == "li" and block.element.getparent() in prose_lists


def cut_teasers(seg: Segmented, blocks: list[Block]) -> list[Block]:
    """Drop "Related"/"See more" headings; where one opens a block of teasers, end there.

    A heading over the comments ("Comments (12)", "3 Kommentare") ends the article the
    same way: what follows is the thread.

    The heading's box is the smallest element around it holding other text. When the
    next kept block lies outside that box, the box was a list of links inside the
    article (already dropped) and the article goes on; otherwise what follows the
    heading is other stories, unless it is plain prose: then the "Read more" was the
    button of an expander that holds the rest of the article.
    """
    for i, block in enumerate(blocks):
        if not (is_teaser_heading(block.text) or block.in_heading and is_comment_heading(block.text)):
            continue
        if i + 1 < len(blocks):
            nxt = blocks[i + 1].index
            box = next((n for n in seg.nodes if n.first <= block.index < n.end and n.end - n.first > 1), None)
            if box is not None and not box.first <= nxt < box.end or _is_prose_run(blocks[i + 1:]):
                return blocks[:i] + cut_teasers(seg, blocks[i + 1:])
        return blocks[:i]
    return blocks


def _is_prose_run(blocks: list[Block]) -> bool:
    """True when the next few blocks are paragraphs not opening with a link: an article goes on.

    Teasers open with their linked headline; paragraphs may link a word or two inside.
    """
    run = blocks[:_PROSE_RUN_BLOCKS]
    return len(run) == _PROSE_RUN_BLOCKS and all(_is_good(b) and b.lead_link_chars == 0 for b in run)


def paragraphs(blocks: list[Block]) -> list[str]:
    """The kept blocks as paragraphs: line breaks split them, table rows join their cells."""
    out: list[str] = []
    row: etree._Element | None = None
    for block in blocks:
        if block.row is not None and block.row is row:
            out[-1] += " " + block.text.replace("\n", " ")
            continue
        row = block.row
        if row is not None:
            out.append(block.text.replace("\n", " "))
        else:
            out.extend(block.text.split("\n"))
    return out
