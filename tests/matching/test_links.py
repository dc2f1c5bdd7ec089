"""The link rules: a translation carries the other text's anchors in order; another report does not."""

from __future__ import annotations

from ingest.matching import MatchSettings
from ingest.matching.fingerprint import anchor_tokens, fingerprint
from ingest.matching.links import Candidate, LinkRules, Rule, numbers_disagree, order_agreement

S = MatchSettings()


def test_order_agreement_is_the_share_of_shared_anchors_in_the_same_order() -> None:
    a = ("putin", "biden", "2021", "geneva", "nato")
    assert order_agreement(a, a, frozenset(a)) == 1.0
    shuffled = ("nato", "geneva", "2021", "biden", "putin")
    assert order_agreement(a, shuffled, frozenset(a)) == 1 / 5
    # tokens only one text has do not count either way
    assert order_agreement(a + ("kiev",), ("putin", "moscow", "biden", "geneva", "2021", "nato"),
                           frozenset(a)) == 4 / 5
    assert order_agreement(("a",), ("a",), frozenset({"a"})) == 1.0  # too few to say


def test_numbers_disagree_when_both_state_numbers_and_share_none() -> None:
    assert numbers_disagree(frozenset({"3", "2021"}), frozenset({"4", "2020", "nato"}))
    assert not numbers_disagree(frozenset({"3", "2021"}), frozenset({"4", "2021"}))
    assert not numbers_disagree(frozenset({"nato"}), frozenset({"4", "2021"}))  # one states none


EN = ("Lewis Hamilton won the Russian Grand Prix in Sochi on Sunday ahead of Max Verstappen and "
      "Lando Norris, his 100th victory, after 53 laps; Mercedes and Red Bull now lead by 2 points.")
# The same facts in another order: another report of the race, not a translation of EN.
OTHER_REPORT = ("Red Bull and Mercedes are 2 points apart after Sochi. Lando Norris led until rain came; "
                "Max Verstappen was second, and Lewis Hamilton took his 100th win at the Russian Grand Prix "
                "after 53 laps.")
FR = ("Lewis Hamilton a remporté dimanche le Grand Prix de Russie à Sotchi devant Max Verstappen et "
      "Lando Norris, sa 100e victoire, après 53 tours ; Mercedes et Red Bull sont à 2 points.")


def verify(rules: LinkRules, text: str, lang: str, other: Candidate) -> Rule:
    fp = fingerprint("", text, lang, S)
    return rules.link(lang, fp.lexical, frozenset(fp.anchors), fp.anchors, other).rule


def candidate(text: str, lang: str, story: str) -> Candidate:
    fp = fingerprint("", text, lang, S)
    return Candidate(1, story, lang, fp.lexical, frozenset(fp.anchors), fp.anchors)


def test_a_translation_links_and_another_report_of_the_event_does_not() -> None:
    rules = LinkRules(S, lambda token: 5.0)
    assert verify(rules, EN, "en", candidate(FR, "fr", "s1")) is Rule.TRANSLATION
    # (read as if in another language than FR's, so that only the anchors can link it)
    assert verify(rules, OTHER_REPORT, "de", candidate(FR, "fr", "s1")) is Rule.NONE


def test_full_width_digits_and_myriads_meet_their_ascii_spelling() -> None:
    ja = anchor_tokens("２０２１年１２月１２日、売上は2300万ドル、1万2000人が参加した。", "ja", S)
    en = anchor_tokens("On December 12, 2021 sales reached 23 million dollars; 12,000 people took part.", "en", S)
    assert {"2021", "m12", "12", "23"} <= set(ja) & set(en)
    assert anchor_tokens("ＮＨＫによると", "ja", S) == ("nhk",)


def test_latin_names_in_chinese_text_are_cut_like_names_elsewhere() -> None:
    zh = anchor_tokens("俄罗斯总统Vladimir Putin与德国总理Olaf Scholz在NATO会议上会面。", "zh", S)
    en = anchor_tokens("Russian President Vladimir Putin met German Chancellor Olaf Scholz at a NATO meeting.", "en", S)
    assert {"vladi", "putin", "olaf", "schol", "nato"} <= set(zh) & set(en)


def test_a_chinese_text_sharing_a_few_of_its_names_is_not_a_translation() -> None:
    # A translation names all of the English text's people; another report of the event names
    # 4 of them among 16 others. The English side, cut to what a Chinese text can share, holds
    # just those 4, so only the Chinese side's containment (4/20) says how little they share.
    names = ["Olaf", "Scholz", "Mateusz", "Morawiecki", "Agnieszka", "Lada", "Konefal", "Annalena"]
    others = ["Rutte", "Stoltenberg", "Kallas", "Tusk", "Orban", "Duda", "Nauseda", "Karins", "Sanchez",
              "Costa", "Meloni", "Sunak", "Trudeau", "Kishida", "Albanese", "Lula"]
    rules = LinkRules(S, lambda token: 5.0)
    english = " ".join(f"Then {n} spoke." for n in names)
    translation = candidate("。".join(f"{n}发言" for n in names), "zh", "s1")
    assert verify(rules, english, "en", translation) is Rule.TRANSLATION
    other_report = candidate("。".join(f"{n}发言" for n in names[:4] + others), "zh", "s2")
    assert verify(rules, english, "en", other_report) is Rule.NONE


def test_the_cuts_of_two_scripts_share_exactly_what_the_texts_share() -> None:
    """`expressible` leaves out only what a text cannot share, so the evidence of a translation
    between scripts is the weight of the anchors the two texts share (judge sums that first)."""
    import random

    from ingest.matching.links import expressible

    rng = random.Random(3)
    tokens = ["2021", "12", "m12", "m3", "nato", "putin", "olaf", "eu", "7.5", "asean", "mx"]
    for _ in range(500):
        a, b = (frozenset(rng.sample(tokens, rng.randint(0, len(tokens)))) for _ in range(2))
        for lang_a, lang_b in (("zh", "en"), ("en", "ja")):
            mine, theirs = expressible(a, lang_a, b, lang_b)
            assert mine & theirs == a & b
