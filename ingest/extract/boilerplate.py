"""Site-independent rules that tell article paragraphs from page furniture.

Both the text-dump cleaner and the HTML extractor ask these questions of a paragraph, so
a rule added here improves both. Rules are written for the shape of the furniture (a
short line naming comments, a heading that opens a list of teasers, a caption credit),
never for one site, and each knows the languages newsdedup ingests.
"""

from __future__ import annotations

import re

# "Comment (0)", "Comments 12", "Bình luận (3)", "0 Kommentare", "Комментарии (5)", "コメント(0)"
_COMMENT_WORD = (
    r"(?:comments?|bình luận|kommentare?|commentaires?|комментари[йия]|коментар[іи]?|"
    r"komentar[ai]?|komentarze?|comentarios?|commenti|reacties|コメント|评论|評論|留言|留言列表|댓글|"
    r"responses?|replies|antworten|réponses?|respuestas?|odpowiedzi)"
)
_COMMENT_COUNTER = re.compile(
    rf"^\(?\d*\)?\s*{_COMMENT_WORD}\s*[:(\[]?\s*\d*\s*[)\]]?$", re.IGNORECASE
)
# Calls to comment, share, subscribe: furniture however long the site makes them.
_CALL_TO_ACTION = re.compile(
    r"^(?:leave|post|add|write|submit|view|show|read|load)\s+(?:a|your|all|the|more)?\s*"
    r"(?:comments?|reply|replies)\b.{0,40}$"
    r"|^(?:gửi|viết|xem)\s+(?:bình luận|ý kiến)\b.{0,40}$"
    r"|^(?:share|teilen|partager|chia sẻ|поделиться)\s*(?:this|on|via|:)?.{0,40}$"
    r"|^.{0,40}\b(?:share (?:it|this(?: story| article| post)?) with|teilen sie diesen (?:artikel|beitrag)|"
    r"partagez cet article|comparte (?:este|esta) (?:artículo|noticia)|udostępnij (?:ten )?artykuł)\b.{0,40}$"
    r"|^(?:sign up|subscribe)\b.{0,80}(?:newsletter|updates|inbox|weeks?|months?|\$|€|£)\b.{0,40}$"
    r"|^(?:follow us|like us|join us|folge uns|suivez-nous|theo dõi chúng tôi|подписывайтесь)\b.{0,60}$"
    r"|^(?:(?:story|article) continues (?:below|after)(?: (?:the |this )?(?:advertisement|ad))?|advertisement|"
    r"anzeige|publicité|quảng cáo|реклама|werbung)\s*[:.]?$"
    r"|^(?:we use cookies|this (?:web)?site uses cookies)\b.*$",
    re.IGNORECASE,
)
# Cookie and consent notices: the site speaking of its own cookies, in the languages
# newsdedup ingests ("we use cookies", "Diese Website verwendet Cookies", "Utilizamos
# cookies", "Używamy plików cookie"), or asking to accept them. An article about cookie
# law quotes no such sentence in the first person.
_CONSENT = re.compile(
    r"\b(?:we use|we and our partners use|this (?:web)?site uses|our (?:web)?site uses|"
    r"wir (?:verwenden|nutzen|setzen)|diese (?:web)?seite (?:verwendet|nutzt)|unsere (?:web)?seite (?:verwendet|nutzt)|"
    r"diese website (?:verwendet|nutzt)|unsere website (?:verwendet|nutzt)|"
    r"nous utilisons|ce site (?:web )?utilise|notre site (?:web )?utilise|"
    r"utilizamos|usamos|este (?:sitio|portal)(?: web)? (?:utiliza|usa)|esta (?:web|página) (?:utiliza|usa)|"
    r"używamy|ta strona (?:internetowa )?(?:używa|korzysta|wykorzystuje|stosuje)|"
    r"serwis (?:używa|korzysta|wykorzystuje)|"
    r"utilizziamo|questo sito (?:utilizza|usa)|wij gebruiken|deze (?:web)?site gebruikt|"
    r"accept(?:ing)?|akzeptieren|zustimmen|accepter|aceptar|acepta|akceptuj[eę]?|zaakceptuj|zgadzam)\b"
    r"[^.!?]{0,120}\b(?:cookies?|cookie-?dateien|ciasteczk\w*|témoins)\b",
    re.IGNORECASE,
)
# Substrings one of which every consent notice holds, in any capitalisation that occurs.
_CONSENT_HINTS = ("ookie", "OOKIE", "iasteczk", "IASTECZK", "émoins", "ÉMOINS")
# A consent notice is a box, not an article: past this length a paragraph is prose.
CONSENT_MAX_CHARS = 700
# A photo credit on a line of its own: "Photo: Getty Images", "Foto: dpa", "Ảnh: TTXVN".
_CREDIT_LINE = re.compile(r"^(?:photo|photos|image|picture|foto|fotos|ảnh|фото|credit)s?\s*:\s*\S.{0,60}$",
                          re.IGNORECASE)
# Calls for tips and contact lines: "Have a news tip? Email us at ... or call ...".
_CONTACT = re.compile(
    r"\b(?:have a (?:news )?tip|send us (?:a|your) tip|got a (?:news )?tip|email us at|e-mail us at|"
    r"contact us at|call us at|write to us at)\b",
    re.IGNORECASE,
)
# Comment-section rules and disclaimers.
_COMMENT_POLICY = re.compile(
    r"\b(?:views expressed in (?:the )?comments|comments? (?:that|which) (?:break|violate)|"
    r"keep (?:the )?(?:discussion|comments?) civil|comments? (?:are|is) moderated)\b",
    re.IGNORECASE,
)
# A timestamp line: "Updated: 11/19/2019 4:52 PM EST", "Cập nhật: 20/11/2025 10:00".
_TIMESTAMP = re.compile(
    r"^(?:updated|published|posted|last updated|first published|aktualisiert|veröffentlicht|mis à jour|"
    r"publié le|cập nhật|đăng lúc|обновлено|опубликовано|ažurirano|objavljeno)\s*(?:on|am|le|:)?\s*:?\s*"
    r"[\w ,./:+-]{0,40}\d[\w ,./:+-]{0,40}$",
    re.IGNORECASE,
)
# Kickers: one-word labels above a headline.
_KICKER = re.compile(r"^(?:breaking(?: news)?|exclusive|live|developing(?: story)?|watch|video|update|"
                     r"eilmeldung|exklusiv|urgent|en direct|nóng|срочно|молния)\s*[:!]?$", re.IGNORECASE)
# Headings that open a block of teasers for other articles. Everything after such a
# heading near the end of an article is a list of other stories, not this one.
_TEASER_HEADING = re.compile(
    r"^(?:see more|read more|more news|more stories|related(?: articles| news| stories| posts)?|"
    r"you may also like|recommended(?: for you)?|most read|latest news|also read|"
    r"xem thêm|tin liên quan|đọc thêm|bài liên quan|tin cùng chuyên mục|"
    r"mehr zum thema|weitere artikel|das könnte sie auch interessieren|"
    r"lire aussi|à lire aussi|sur le même sujet|"
    r"читайте также|похожие новости|по теме|"
    r"povezane vijesti|pročitajte još|vezane vijesti|"
    r"関連記事|関連ニュース|相关新闻|相关阅读|相關新聞)\s*[:»›>.…]*$",
    re.IGNORECASE,
)
# A photo caption's credit: "(Photo: VNA)", "(Ảnh: TTXVN)", "Foto: dpa", or an unclosed
# "(Source:" left where a caption was cut.
_CAPTION_CREDIT = re.compile(
    r"(?:\((?:photo|photos|ảnh|foto|fotos|photograph|image|picture|фото|source|nguồn)\s*:[^()]*\)"
    r"|\((?:photo|ảnh|foto|фото|source|nguồn)\s*:?\s*)\s*$",
    re.IGNORECASE,
)
# Captions some CMSs end with a pipe separator: "... in Kuala Lumpur, Malaysia. |"
_CAPTION_PIPE = re.compile(r"\s\|\s*$")
_IMAGE_FILE = re.compile(r"^\S+\.(?:jpe?g|png|gif|webp|avif|bmp|svg|tiff?)(?:\?\S*)?$", re.IGNORECASE)
# "Source: https://..." on a line of its own names the document's URL.
_SOURCE_URL = re.compile(r"^(?:source|nguồn|quelle|источник|izvor)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)
# An agency byline on a line of its own: "VNA", "(AFP)", "– Reuters", "TTXVN".
_AGENCY_LINE = re.compile(r"^[-–—(]?\s*([A-Z][A-Za-z]{1,5}(?:/[A-Z][A-Za-z]{1,5})*)\s*\)?$")
# A byline glued to the end of the last paragraph: "...in this field.-VNA"
_TRAILING_AGENCY = re.compile(r"(?<=[.!?”\"'])\s*[-–—]\s*([A-Z]{2,6})\s*$")
# End-of-article marks: "./." closes Vietnamese agency copy; "(END)", "-30-" and "###" others.
_END_MARK_ENDINGS = ("./.", "(END)", "-30-", "###")
_END_MARK = re.compile(r"(?:\s*\./\.|\s*\(END\)|\s*-30-|\s*###)\s*$")


def normalise_space(text: str) -> str:
    return " ".join(text.split())  # str.split and \s agree on what whitespace is; split is faster


def is_furniture(paragraph: str) -> str | None:
    """The reason `paragraph` is page furniture rather than article text, or None."""
    return _furniture(normalise_space(paragraph))


# (The private forms below take a paragraph already normalised: `clean_paragraphs` normalises
# each once, not once per test.)
def _furniture(p: str) -> str | None:
    if not p:
        return "empty"
    if len(p) <= 80 and _COMMENT_COUNTER.match(p):
        return "comment counter"
    if len(p) <= 160 and _CALL_TO_ACTION.match(p):
        return "call to action"
    if len(p) <= CONSENT_MAX_CHARS and is_consent_notice(p):
        return "consent notice"
    if _CREDIT_LINE.match(p):
        return "photo credit"
    if len(p) <= 200 and _CONTACT.search(p):
        return "contact line"
    if len(p) <= 400 and _COMMENT_POLICY.search(p):
        return "comment policy"
    if len(p) <= 100 and _TIMESTAMP.match(p):
        return "timestamp"
    if len(p) <= 30 and _KICKER.match(p):
        return "kicker"
    if _IMAGE_FILE.match(p):
        return "image file name"
    if p.endswith("|") and _CAPTION_PIPE.search(p):  # (the cheap test first: the regex tries every space)
        return "photo caption"
    if len(p) <= 400 and _CAPTION_CREDIT.search(p):
        return "photo caption"
    return None


def is_consent_notice(text: str) -> bool:
    """True for a cookie or consent notice ("Wir verwenden Cookies, um ...")."""
    if not any(word in text for word in _CONSENT_HINTS):
        return False  # the cheap test first: this runs on every block of every page
    return bool(_CONSENT.search(text))


def is_comment_heading(paragraph: str) -> bool:
    """True for the heading of a comment thread: "Comments (12)", "3 Kommentare", "留言列表 (42)"."""
    p = normalise_space(paragraph)
    return len(p) <= 40 and bool(_COMMENT_COUNTER.match(p))


def is_teaser_heading(paragraph: str) -> bool:
    """True for a heading such as "See more" or "Related articles" that opens teasers."""
    return _is_teaser_heading(normalise_space(paragraph))


def _is_teaser_heading(p: str) -> bool:
    return len(p) <= 60 and bool(_TEASER_HEADING.match(p))


def source_url(paragraph: str) -> str | None:
    """The URL of a "Source: https://..." line, which names the document's address."""
    return _source_url(normalise_space(paragraph))


def _source_url(p: str) -> str | None:
    m = _SOURCE_URL.match(p)
    return m.group(1) if m else None


def agency_byline(paragraph: str) -> str | None:
    """The agency of a byline line such as "VNA" or "(AFP)", or None."""
    return _agency_byline(normalise_space(paragraph))


def _agency_byline(p: str) -> str | None:
    m = _AGENCY_LINE.match(p)
    if not m:
        return None
    name = m.group(1)
    # A byline is an acronym ("VNA", "AFP") or a short capitalised name ("Reuters");
    # a lone ordinary word such as "Hello" is not furniture.
    return name if name.isupper() or name in KNOWN_AGENCIES else None


KNOWN_AGENCIES = frozenset({"Reuters", "Bloomberg", "Kyodo", "Xinhua", "Yonhap", "Bernama", "Antara"})


def split_trailing_agency(paragraph: str) -> tuple[str, str | None]:
    """("text.", "VNA") for "text.-VNA"; the paragraph unchanged and None otherwise."""
    if not "A" <= paragraph.rstrip()[-1:] <= "Z":
        return paragraph, None  # the cheap test first: the regex tries every position
    m = _TRAILING_AGENCY.search(paragraph)
    if not m:
        return paragraph, None
    return paragraph[: m.start()].rstrip(), m.group(1)


def split_end_mark(paragraph: str) -> tuple[str, bool]:
    """("text.", True) when the paragraph closes with an end-of-article mark."""
    if not paragraph.rstrip().endswith(_END_MARK_ENDINGS):
        return paragraph, False  # the cheap test first: the regex backtracks on every space
    m = _END_MARK.search(paragraph)
    if not m:
        return paragraph, False
    head = paragraph[: m.start()].rstrip()
    if head and head[-1] not in ".!?”\"')»":
        head += "."
    return head, True


def clean_paragraphs(paragraphs: list[str], *, dedupe_min_chars: int = 0) -> tuple[list[str], dict[str, object]]:
    """Drop furniture from a page's paragraphs, in order; return the kept ones and metadata.

    Metadata found on the way is kept, not thrown away: "url" from a "Source:" line,
    "authors" from agency bylines. The article ends at an end-of-article mark or at a
    teaser heading; what follows is other stories. A paragraph of `dedupe_min_chars` or
    more seen before is dropped (a caption or lead printed twice); shorter repeats stay,
    since recipes and tables repeat short lines on purpose.
    """
    kept: list[str] = []
    meta: dict[str, object] = {"authors": []}
    seen: set[str] = set()
    authors: list[str] = meta["authors"]  # type: ignore[assignment]
    closed = False  # past the end of the article only metadata lines are read
    # An unknown acronym alone on a line ("VNA", "FAQ") is a byline if the article ends there
    # and a subheading if more text follows: it waits here until that is known.
    pending: str | None = None

    def byline(agency: str) -> None:
        if agency not in authors:
            authors.append(agency)

    for raw in paragraphs:
        p = normalise_space(raw)
        if not p:
            continue
        url = _source_url(p)
        if url:
            meta.setdefault("url", url)
            continue
        agency = _agency_byline(p)
        if agency:
            if closed or not kept or agency in KNOWN_AGENCIES:
                byline(agency)
            else:
                if pending:
                    byline(pending)
                pending = agency
            continue
        if closed or _is_teaser_heading(p):
            if closed and len(p) <= 80:
                continue
            break
        if _furniture(p):
            continue
        if pending:  # more text follows: it was a subheading
            kept.append(pending)
            pending = None
        p, agency = split_trailing_agency(p)
        if agency:
            byline(agency)
        p, ended = split_end_mark(p)
        # Captions and leads are often printed twice (alt text, then figcaption).
        key = p.casefold()
        if p and (key not in seen or len(p) < dedupe_min_chars):
            seen.add(key)
            kept.append(p)
        closed = ended or agency is not None
    if pending:
        byline(pending)
    return kept, meta
