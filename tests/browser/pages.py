"""A database for looking at the pages: the seeds through the real pipeline, one story with five
versions (long titles, long words, a translation that arrived before its original) and enough
other stories for several pages. Used by the browser tests and `benchmarks/pages/screenshots.py`."""

from __future__ import annotations

from pathlib import Path

from ingest.pipeline import story_id_for
from storage.model import GroupingEvidence
from tests.feeds.support import Corpus, replay

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
FIVE_VERSIONS_KEY = "five-en"
FIVE_VERSIONS_TITLE = "Floods close the northern railway for a week after three days of record rain"
FILLER_STORIES = 45

_FIVE = [
    # (key, lang, title, published, source url): the German machine translation arrives first
    ("five-de", "de", "Hochwasserkatastrophe: Eisenbahnverbindungsunterbrechungsbekanntmachung für die Nordstrecke",
     None, "https://maschinen-uebersetzung.example/nachrichten/2025/08/hochwasser-nordstrecke-gesperrt"),
    (FIVE_VERSIONS_KEY, "en", FIVE_VERSIONS_TITLE, "2025-08-05T06:00:00Z",
     "https://wire.example/world/2025/08/05/floods-close-northern-railway-for-a-week-after-record-rain"),
    ("five-en2", "en", "Northern railway shut for a week as floods follow record rainfall", "2025-08-05T07:30:00Z",
     "https://daily.example/news/northern-railway-shut"),
    ("five-vi", "vi", "Lũ lụt khiến tuyến đường sắt phía Bắc đóng cửa một tuần sau ba ngày mưa kỷ lục",
     "2025-08-05T10:15:00Z", "https://tin.example/the-gioi/lu-lut-duong-sat-phia-bac"),
    ("five-ja", "ja", "記録的な大雨で北部鉄道が一週間運休、洪水被害が拡大", "2025-08-05T11:00:00Z",
     "https://shimbun.example/world/20250805-floods"),
]

_TEXTS = {
    "en": "Three days of record rain flooded the northern valleys.\n\nThe railway operator said the line would stay "
          "closed for a week while 42 bridges are inspected.",
    "de": "Drei Tage Rekordregen überfluteten die nördlichen Täler.\n\nDie Bahn sagte, die Strecke bleibe eine "
          "Woche gesperrt, während 42 Brücken geprüft werden.",
    "vi": "Ba ngày mưa kỷ lục đã làm ngập các thung lũng phía Bắc.\n\nNhà vận hành cho biết tuyến sẽ đóng cửa "
          "một tuần để kiểm tra 42 cây cầu.",
    "ja": "記録的な大雨が三日間続き、北部の谷が浸水した。鉄道会社は42の橋を点検するため一週間運休すると発表した。",
}


def build(db: Path) -> dict[str, str]:
    """Fill `db`; returns the story ids worth looking at: the first stored ("first", the first seed's)
    and the one with five versions ("five")."""
    replay(db, SEEDS)
    corpus = Corpus(db)
    try:
        source = corpus.store.sources.add("https://wire.example/feed.xml", title="Wire Service World Desk",
                                          interval_seconds=900)
        for number in range(FILLER_STORIES):
            corpus.add(f"filler-{number:03d}", title=f"Council budget vote number {number}",
                       text=f"The council voted on budget item {number}.", lang="en" if number % 3 else "de",
                       source_id=source.id if number % 2 else None)
        first_key, lang, title, published, url = _FIVE[0]
        five = corpus.add(first_key, title=title, text=_TEXTS[lang], lang=lang, url=url, published=published)
        previous = corpus.store.documents.find(first_key)
        assert previous is not None
        for key, lang, title, published, url in _FIVE[1:]:
            shared = ("42", "m8", "2025") if lang in ("ja",) else ("42", "m8", "nord", "railw", "2025")
            rule = "paraphrase" if lang == "en" and key != FIVE_VERSIONS_KEY else "translation"
            corpus.add(key, story=five, title=title, text=_TEXTS[lang], lang=lang, url=url, published=published,
                       source_id=source.id if key == FIVE_VERSIONS_KEY else None,
                       grouping=GroupingEvidence(previous.id, rule, 1.8, shared, 0.04))
        corpus.change("five-en2", title="Northern railway shut for a week as floods follow record rainfall",
                      text=_TEXTS["en"].replace("a week", "ten days") + " Buses replace the trains.")
    finally:
        corpus.close()
    first_seed = sorted(p.name for p in SEEDS.iterdir())[0]
    return {"five": five, "first": story_id_for(f"{SEEDS.name}/{first_seed}")}
