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

import re
from dataclasses import dataclass, field

from lxml import etree

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
)
# Skipped during the walk: page furniture by HTML semantics.
SKIP_TAGS = frozenset("nav aside footer figure figcaption form menu".split())
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())

# Class and id words that name furniture. Strong words mark furniture even beside a
# content word ("article-share", "story-comments"); weak ones only on their own, since
# "main-header" or "content-footer" wrappers sometimes hold the article.
_STRONG = (
    r"comments?|commentlist|disqus|share|sharing|sharebar|social|socials|related|recommended|"
    r"recommendations?|newsletter|subscribe|subscription|signup|promo|promos|promotion|advert|"
    r"advertisement|advertising|adverts|ads?|adslot|adunit|dfp|sponsor|sponsored|outbrain|taboola|"
    r"cookie|cookies|consent|gdpr|breadcrumbs?|popup|modal|overlay|byline|caption|credits?|"
    r"readmore|more-stories|also-read|trending|most-popular|mostpopular|most-read|mostread|"
    r"paywall|login|print-only|visually-hidden|sr-only|screen-reader-text|skip-link|jump-link|"
    r"tags|tag-list|taglist|keywords|author-bio|authorbio|bio|rating|poll|toolbar|tools|"
    r"pagination|pager|nav|navbar|navigation|menu|masthead|dateline|timestamp|published|"
    r"meta|metadata|post-meta|entry-meta|article-meta|follow|inline-related"
)
_WEAK = r"header|footer|sidebar|side-bar|widget|banner|teaser|teasers|aside|extra|links|topics"
_CONTENT_WORD = re.compile(r"(?:^|[\s_-])(?:article|content|body|main|story|entry|post|text)(?:$|[\s_-])")
_STRONG_RE = re.compile(rf"(?:^|[\s_-])(?:{_STRONG})(?:$|[\s_-])")
_WEAK_RE = re.compile(rf"(?:^|[\s_-])(?:{_WEAK})(?:$|[\s_-])")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# Scripts where one character is about a word: length counts these three times.
_WIDE_CHARS = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[.!?。！？…:;\"'”’»)]\s*$")
_WS = re.compile(r"[^\S\n]+")


@dataclass
class Block:
    text: str
    tag: str                 # the tag of the block element that holds the text
    chars: int               # length, wide characters counted as three
    link_chars: int
    value: float = 0.0
    in_heading: bool = False
    in_list: bool = False

    @property
    def link_density(self) -> float:
        return self.link_chars / self.chars if self.chars else 0.0


@dataclass
class Node:
    element: etree._Element
    score: float
    first: int               # index of its first block
    end: int                 # one past its last block
    prose: float = 0.0       # total value of its positive blocks


@dataclass
class Segmented:
    blocks: list[Block] = field(default_factory=list)
    nodes: list[Node] = field(default_factory=list)


def _classes(el: etree._Element) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def is_furniture_element(el: etree._Element) -> bool:
    """True for an element whose markup says it is furniture: hidden, or named so."""
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    if style and _HIDDEN_STYLE.search(style):
        return True
    role = el.get("role")
    if role in ("navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alert"):
        return True
    names = _classes(el)
    if len(names) <= 1:
        return False
    if _STRONG_RE.search(names):
        return True
    return bool(_WEAK_RE.search(names)) and not _CONTENT_WORD.search(names)


def text_length(text: str) -> int:
    return len(text) + 2 * len(_WIDE_CHARS.findall(text))


def block_value(block: Block) -> float:
    """How much a block looks like article prose (> 0) or like furniture (< 0)."""
    n = block.chars
    density = block.link_density
    if density > 0.5:
        return -n * density
    if block.in_heading:
        return 0.0
    if n < 25:
        return -2.0
    value = n * (1 - density) ** 2
    if _SENTENCE_END.search(block.text):
        value *= 1.5
    return value


def segment(body: etree._Element, guard_chars: int) -> Segmented:
    """Cut `body` into text blocks in document order and score every block element.

    `guard_chars` is the length of the body's text: a furniture-named element holding
    more than most of it is a page wrapper ("with-sidebar"), not furniture, and is kept.
    """
    out = Segmented()
    blocks = out.blocks
    parts: list[str] = []
    link_chars = 0
    link_depth = 0
    heading_depth = 0
    list_depth = 0
    # one frame per open block element: [element, score, first block index, prose]
    frames: list[list] = []
    skipped: etree._Element | None = None

    def flush() -> None:
        nonlocal link_chars
        if not parts:
            return
        raw = "".join(parts)
        parts.clear()
        text = "\n".join(line for line in (_WS.sub(" ", x).strip() for x in raw.split("\n")) if line)
        links = link_chars
        link_chars = 0
        if not text:
            return
        top = frames[-1]
        tag = top[0].tag
        block = Block(text=text, tag=tag, chars=text_length(text), link_chars=min(links, len(text)),
                      in_heading=heading_depth > 0 or tag in HEADINGS, in_list=list_depth > 0)
        block.value = block_value(block)
        blocks.append(block)
        top[1] += block.value
        if block.value > 0:
            top[3] += block.value

    def add(text: str) -> None:
        nonlocal link_chars
        parts.append(text)
        if link_depth:
            link_chars += text_length(text.strip())

    walker = etree.iterwalk(body, events=("start", "end"))
    for event, el in walker:
        tag = el.tag
        if not isinstance(tag, str):
            continue  # a comment or processing instruction: only its tail counts
        if event == "start":
            if el is not body and (tag in SKIP_TAGS or is_furniture_element(el)) and not _is_wrapper(
                    el, guard_chars):
                walker.skip_subtree()
                skipped = el
                if tag in BLOCK_TAGS:
                    flush()
                continue
            if tag in BLOCK_TAGS:
                flush()
                frames.append([el, 0.0, len(blocks), 0.0])
                if tag in HEADINGS:
                    heading_depth += 1
                elif tag in ("ul", "ol", "dl"):
                    list_depth += 1
            elif tag == "a":
                link_depth += 1
            elif tag == "br":
                parts.append("\n")
            if el.text:
                add(el.text)
        else:
            if el is skipped:
                skipped = None
            elif tag in BLOCK_TAGS:
                flush()
                element, score, first, prose = frames.pop()
                out.nodes.append(Node(element, score, first, len(blocks), prose))
                if frames:
                    frames[-1][1] += score
                    frames[-1][3] += prose
                if tag in HEADINGS:
                    heading_depth -= 1
                elif tag in ("ul", "ol", "dl"):
                    list_depth -= 1
            elif tag == "a":
                link_depth = max(0, link_depth - 1)
            if el.tail and el is not body:
                add(el.tail)
    flush()
    return out


def _is_wrapper(el: etree._Element, guard_chars: int) -> bool:
    """True for a furniture-looking element that holds most of the page's text."""
    if el.tag in SKIP_TAGS and el.tag not in ("form", "aside"):
        return False
    if guard_chars <= 0:
        return False
    return len(el.xpath("string()")) > 0.5 * guard_chars


def choose_node(seg: Segmented) -> Node | None:
    """The element whose blocks add up to the most prose: the article's container."""
    best: Node | None = None
    for node in seg.nodes:  # children close before their parents: ties go to the deeper node
        if node.end > node.first and (best is None or node.score > best.score):
            best = node
    return best


def _is_good(block: Block) -> bool:
    if block.value <= 0 or block.in_heading or block.link_density > 0.3:
        return False
    return block.chars >= 80 or (block.chars >= 30 and bool(_SENTENCE_END.search(block.text)))


def select_blocks(blocks: list[Block]) -> list[Block]:
    """The blocks of the chosen container that are article text.

    Prose is kept; link lists are dropped; a short block or heading is kept only between
    prose blocks (a subheading, a one-line paragraph), never at the edges, where short
    lines are datelines, tag lists and share bars.
    """
    kinds = []
    for block in blocks:
        if block.link_density > 0.5:
            kinds.append("bad")
        elif _is_good(block):
            kinds.append("good")
        else:
            kinds.append("short")
    kept: list[Block] = []
    n = len(blocks)
    for i, block in enumerate(blocks):
        kind = kinds[i]
        if kind == "good":
            kept.append(block)
        elif kind == "short":
            prev_good = any(k == "good" for k in kinds[max(0, i - 3):i])
            next_good = any(k == "good" for k in kinds[i + 1:min(n, i + 4)])
            if prev_good and next_good or (block.in_heading and next_good and kept):
                kept.append(block)
    return kept
