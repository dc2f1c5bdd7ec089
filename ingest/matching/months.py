"""Month names in the languages newsdedup reads, as one language-neutral token each.

A date is strong evidence that two texts report one event, but only its numbers survive
translation ("11 декабря 2021" against "December 11, 2021"). Mapping each language's
spellings of a month to one token ("m12") lets the month travel too. Stems, not whole
words, because Slavic languages inflect month names (декабря, грудня, prosinca). Each
language is matched against its own month names only, so "travel" is never a Croatian
May (travanj) and "Marco" never a Portuguese March.
"""

from __future__ import annotations

from functools import lru_cache

from anyascii import anyascii

# Month stems per language, folded to ASCII (anyascii), January first; "a|b" lists variants.
_MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"),
    "de": ("januar", "februar", "marz", "april", "mai", "juni", "juli", "august", "september", "oktober",
           "november", "dezember"),
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
           "november", "december"),
    "fr": ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
           "novembre", "decembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"),
    "it": ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre",
           "ottobre", "novembre", "dicembre"),
    "pt": ("janeiro", "fevereiro", "marco", "abril", "maio", "junho", "julho", "agosto", "setembro", "outubro",
           "novembro", "dezembro"),
    "ru": ("yanvar", "fevral", "mart", "aprel", "may|maya|mae", "iyun", "iyul", "avgust", "sentyabr",
           "oktyabr", "noyabr", "dekabr"),
    "uk": ("sichn", "lyut", "berez", "kvitn", "travn", "cherv", "lipn|lipen", "serpn|serpen", "veres",
           "zhovt", "listopad", "grudn|gruden"),
    "hr": ("sijec", "veljac", "ozuj", "travanj|travnj", "svib", "lipanj|lipnj", "srpanj|srpnj", "kolovoz",
           "rujan|rujn", "listopad", "studen", "prosin"),
    "cs": ("leden|ledna|lednu", "unor|unora|unoru", "brezen|brezna|breznu", "duben|dubna|dubnu",
           "kveten|kvetna|kvetnu", "cerven|cervna|cervnu", "cervenec|cervence|cervenci", "srpen|srpna|srpnu",
           "zari", "rijen|rijna|rijnu", "listopad", "prosinec|prosince|prosinci"),
    "pl": ("styczn|styczen", "luty|lutego|lutym", "marzec|marca|marcu", "kwietn|kwiecien", "maj|maja|maju",
           "czerw", "lipiec|lipca|lipcu", "sierp", "wrzes", "pazdziern", "listopad", "grudz|grudn|grudzien"),
}
# The letters each language's month stems begin with: a word whose folded spelling begins with
# another is no month, found without folding all of it (most words a text has end there).
_INITIALS = {lang: frozenset(stem[0] for variants in stems for stem in variants.split("|"))
             for lang, stems in _MONTHS.items()}
# Languages that capitalise month names: there a lower-case "may" or "march" is another word.
_CAPITALISED = frozenset({"en", "de", "nl"})
# How many letters an inflected form may add to its stem (декабр|я, prosin|ca, lipn|ja).
_ENDING = 4
# Each language's stems by their first letter, with their month and whether a word must be the
# stem exactly (capitalised languages, stems of three letters or fewer) or may inflect it.
_STEMS_BY_INITIAL: dict[str, dict[str, tuple[tuple[str, int, bool], ...]]] = {
    lang: {initial: tuple((stem, number, lang in _CAPITALISED or len(stem) <= 3)
                          for number, variants in enumerate(stems, start=1)
                          for stem in variants.split("|") if stem[0] == initial)
           for initial in _INITIALS[lang]}
    for lang, stems in _MONTHS.items()}


def months_capitalised(lang: str) -> bool | None:
    """Whether `lang` writes its month names capitalised (None: no month names known for it)."""
    return lang in _CAPITALISED if lang in _MONTHS else None


class _MonthInitials(dict[str, bool]):
    """For each first character of a word: whether the word may be a month name of the language
    (month_token's first test, its answer kept per character)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._initials = _INITIALS.get(lang, frozenset())

    def __missing__(self, character: str) -> bool:
        initial = _folded_initial(character)
        value = self[character] = not initial or initial in self._initials
        return value


@lru_cache(maxsize=256)
def month_initials(lang: str) -> dict[str, bool]:
    """Whether a word of `lang` that begins with a character may be a month name: False for
    most, whose folded first letter begins no month of the language (a look-up per word,
    cheaper than asking month_token). Languages without month names may say True."""
    return _MonthInitials(lang)


@lru_cache(maxsize=50_000)
def month_token(word: str, lang: str) -> str | None:
    """"m12" when `word` is December in `lang` (Dezember, декабря, prosinca, ...), else None."""
    stems = _MONTHS.get(lang)
    if stems is None or word[:1].isupper() != (lang in _CAPITALISED):
        return None  # elsewhere months are lower case: a capitalised "Marco" or "Mars" is a name
    # (anyascii spells a text character by character, so the first one's spelling begins it.)
    initial = _folded_initial(word[0])
    if initial and initial not in _INITIALS[lang]:
        return None
    folded = anyascii(word).lower()
    best: tuple[int, int] | None = None  # (length of the matching stem, month): the longest stem wins,
    for stem, number, exact in _STEMS_BY_INITIAL[lang].get(folded[:1], ()):  # so Czech "cervence" is July, not June
        if folded == stem or (not exact and folded.startswith(stem) and len(folded) - len(stem) <= _ENDING):
            best = max(best or (0, 0), (len(stem), number))
    return f"m{best[1]}" if best else None


@lru_cache(maxsize=4096)
def _folded_initial(character: str) -> str:
    return anyascii(character)[:1].lower()


# Scripts that write a month as a number with a month word: 12月 (Chinese, Japanese), 12월
# (Korean) after it, "tháng 12" (Vietnamese) before it.
_MONTH_AFTER = ("月", "월")
_MONTH_BEFORE = ("tháng ", "Tháng ")


def numeric_month(number: str, text: str, start: int, end: int) -> str | None:
    """"m12" when the number at text[start:end] is written as a month (12月, tháng 12), else None."""
    if not number.isdigit():
        return None
    try:
        value = int(number)
    except ValueError:  # over 4,300 digits (int() refuses to read them): no month
        return None
    if 1 <= value <= 12 and (text.startswith(_MONTH_AFTER, end) or text.endswith(_MONTH_BEFORE, 0, start)):
        return f"m{value}"
    return None
