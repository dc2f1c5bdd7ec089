"""Patterns of pages the extractor was not tuned on: blogs, shops, recipes, wikis, forums,
government and company pages, in several languages.

Each test is a small synthetic page built for one pattern that made the extractor lose
text (a lead beside the chosen container, a body only in <noscript>, class names misread
as furniture, short posts, consent notices in other languages...). The text is invented;
no page is a copy of a benchmark page.
"""

from __future__ import annotations

from ingest.extract import extract_html

DE = ("Der Stadtrat hat am Donnerstag beschlossen, das Radwegenetz in den kommenden fünf Jahren "
      "deutlich auszubauen und dafür jährlich zwanzig Millionen Euro bereitzustellen.")
DE2 = ("Die Opposition kritisierte, dass die Pläne zu spät kämen und die Außenbezirke zu wenig "
       "berücksichtigten, stimmte am Ende aber dennoch mit großer Mehrheit zu.")
DE3 = ("Die ersten Abschnitte sollen bereits im Frühjahr fertig werden, kündigte die Verwaltung an, "
       "weitere folgen dann im Herbst des nächsten Jahres.")
EN = ("The council approved the budget on Tuesday after a debate that lasted well into the night, "
      "with members arguing over how much to spend on roads.")
EN2 = ("Opposition members said the plan left too little for schools, and promised to raise the "
       "issue again when the council meets in the spring.")
EN3 = ("The mayor said the first repairs would begin in March, starting with the bridges that "
       "inspectors had flagged as urgent last year.")
FR = ("Le conseil municipal a adopté mardi soir le budget de l'année prochaine, après un débat "
      "qui s'est prolongé tard dans la nuit sur le financement des routes.")
FR2 = ("L'opposition a estimé que le plan laissait trop peu de moyens aux écoles et a promis de "
       "revenir sur la question lors de la prochaine séance du printemps.")
ES = ("El ayuntamiento aprobó el martes el presupuesto del próximo año tras un debate que se "
      "prolongó hasta bien entrada la noche sobre el gasto en carreteras.")
ES2 = ("La oposición afirmó que el plan dejaba muy poco para las escuelas y prometió volver a "
       "plantear la cuestión en la próxima sesión de primavera.")
ES3 = ("Los vecinos del barrio norte celebraron la decisión, aunque recordaron que llevan años "
       "esperando que se arreglen las aceras de sus calles.")
PL = ("Rada miasta przyjęła we wtorek budżet na przyszły rok po debacie, która trwała do późnych "
      "godzin nocnych i dotyczyła głównie wydatków na drogi.")
PL2 = ("Opozycja uznała, że plan przewiduje zbyt mało pieniędzy na szkoły, i zapowiedziała powrót "
       "do tej sprawy na wiosennej sesji rady.")
PL3 = ("Mieszkańcy północnych dzielnic przyjęli decyzję z zadowoleniem, choć przypominają, że na "
       "remont chodników czekają już od wielu lat.")
NAV = ("<nav><ul><li><a href='/'>Start</a></li><li><a href='/a'>Politik</a></li>"
       "<li><a href='/b'>Sport</a></li></ul></nav>")


def page(body: str, title: str = "Titel", lang: str = "de") -> str:
    return f"<html lang='{lang}'><head><title>{title}</title></head><body>{body}</body></html>"


def text_of(body: str, **kwargs: str) -> str:
    return extract_html(page(body, **kwargs)).text


# ---------------------------------------------------------------- text normalisation

def test_soft_hyphens_are_removed_and_text_is_nfc() -> None:
    hyphenated = DE.replace("Radwegenetz", "Rad\u00adwege\u00adnetz")
    decomposed = FR.replace("adopté", "adopte\u0301")
    text = text_of(f"<article><p>{hyphenated}</p><p>{decomposed}</p></article>")
    assert "Radwegenetz" in text and "\u00ad" not in text
    assert "adopté" in text and "\u0301" not in text


def test_ruby_annotations_are_not_text() -> None:
    ja = ("東京都は来年度の予算案を発表し、道路の補修と学校の改修に重点を置く方針を示した。"
          "<ruby>議会<rt>ぎかい</rt></ruby>は三月に審議を始める予定で、野党は教育予算の増額を求めている。")
    text = text_of(f"<article><p>{ja}</p><p>{ja}</p></article>", lang="ja")
    assert "議会は三月" in text and "ぎかい" not in text


# ---------------------------------------------------------------- consent notices

CONSENT = {
    "de": ("Wir verwenden Cookies und ähnliche Technologien, um Inhalte zu personalisieren, "
           "Werbung anzupassen und die Zugriffe auf unsere Website zu analysieren. Mit einem Klick auf "
           "„Alle akzeptieren“ stimmen Sie der Verarbeitung Ihrer Daten durch uns und unsere Partner zu.",
           DE, DE2),
    "fr": ("Nous utilisons des cookies pour améliorer votre expérience de navigation, afficher des "
           "publicités personnalisées et analyser notre trafic. En cliquant sur « Tout accepter », vous "
           "consentez à l'utilisation de ces traceurs par nos partenaires.", FR, FR2),
    "es": ("Utilizamos cookies propias y de terceros para mejorar nuestros servicios, mostrarle "
           "publicidad relacionada con sus preferencias y analizar sus hábitos de navegación. Si continúa "
           "navegando, consideramos que acepta su uso en nuestra política de privacidad.", ES, ES2),
    "pl": ("Używamy plików cookie oraz podobnych technologii, aby dostosować treści i reklamy do "
           "Twoich potrzeb oraz analizować ruch na naszej stronie. Klikając „Akceptuję”, wyrażasz zgodę "
           "na przetwarzanie danych przez nas i naszych partnerów.", PL, PL2),
}


def test_consent_notices_in_other_languages_are_not_the_article() -> None:
    for lang, (notice, first, _) in CONSENT.items():
        # the notice is longer than the short post, and no class name says what it is
        box = f"<div class='layer-outer'><div class='inner-box'><p>{notice}</p></div></div>"
        text = text_of(f"{box}<div class='post'><h2>Titel</h2><p>{first}</p></div>", lang=lang)
        assert text == first, lang


# ---------------------------------------------------------------- pages that came out empty

def test_body_printed_only_inside_noscript_is_read() -> None:
    body = (f"<div id='app'></div><noscript><article><h1>Titel</h1><p>{DE}</p><p>{DE2}</p>"
            "</article></noscript><noscript><img src='pixel.gif'></noscript>")
    assert text_of(body) == f"{DE}\n\n{DE2}"


def test_noscript_beside_a_real_body_stays_out() -> None:
    body = (f"<article><p>{FR}</p><p>{FR2}</p></article>"
            "<noscript><p>Veuillez activer JavaScript pour profiter de toutes les fonctions du site.</p></noscript>")
    assert text_of(body, lang="fr") == f"{FR}\n\n{FR2}"


def test_an_unclosed_nav_does_not_swallow_the_page() -> None:
    # the menu's </nav> is missing: the parser nests the whole article inside <nav>
    body = (f"<nav><ul><li><a href='/'>Accueil</a></li><li><a href='/monde'>Monde</a></li></ul>"
            f"<div class='article'><h1>Titre</h1><p>{FR}</p><p>{FR2}</p></div>")
    assert text_of(body, lang="fr") == f"{FR}\n\n{FR2}"


def test_page_builder_markup_where_every_block_has_a_weak_furniture_name() -> None:
    widget = ("<div class='elementor-element elementor-widget elementor-widget-text-editor'>"
              "<div class='widget-container'>")
    body = (f"<div class='elementor-section-wrap'>{NAV}{widget}<h2>Título</h2></div></div>"
            f"{widget}<p>{ES}</p></div></div>{widget}<p>{ES2}</p></div></div></div>")
    assert text_of(body, lang="es") == f"Título\n\n{ES}\n\n{ES2}"


def test_a_post_of_headings_and_short_lines_only() -> None:
    body = (f"{NAV}<article class='post'><h2>Zmiany w rozkładzie jazdy</h2><p>Od poniedziałku.</p>"
            "<h2>Linia 12 kursuje częściej</h2><p>Co dziesięć minut.</p></article>")
    text = text_of(body, lang="pl")
    assert text == "Zmiany w rozkładzie jazdy\n\nOd poniedziałku.\n\nLinia 12 kursuje częściej\n\nCo dziesięć minut."


def test_a_post_that_is_only_a_table() -> None:
    rows = "".join(f"<tr><td>{day}</td><td>{hours}</td></tr>" for day, hours in
                   (("Montag", "8 bis 16 Uhr"), ("Dienstag", "8 bis 18 Uhr"), ("Freitag", "8 bis 12 Uhr")))
    text = text_of(f"{NAV}<div class='content'><table>{rows}</table></div>")
    assert text == "Montag 8 bis 16 Uhr\n\nDienstag 8 bis 18 Uhr\n\nFreitag 8 bis 12 Uhr"


# ---------------------------------------------------------------- class names misread as furniture

def test_a_bem_state_modifier_is_not_furniture() -> None:
    # the marked section holds under half the page's text: it is not exempt as a wrapper
    body = (f"{NAV}<article><section class='section'><p>{DE}</p><p>{DE3}</p></section>"
            f"<section class='section section--has-ads'><p>{DE2}</p></section></article>")
    assert text_of(body) == f"{DE}\n\n{DE3}\n\n{DE2}"


def test_a_bem_modifier_that_names_furniture_still_counts() -> None:
    teasers = "".join(f"<div class='rail__item'><h3>Schlagzeile {i}</h3><p>{DE3}</p></div>" for i in range(3))
    body = (f"<article><p>{DE}</p><p>{DE2}</p><p>{EN}</p><p>{EN2}</p>"
            f"<div class='rail rail--trending'>{teasers}</div></article>")
    assert text_of(body) == f"{DE}\n\n{DE2}\n\n{EN}\n\n{EN2}"


def test_a_furniture_word_inside_a_longer_name() -> None:
    box = ("<div class='c-newsletter-box'><p>Abonnieren Sie unseren täglichen Überblick mit den wichtigsten "
           "Nachrichten aus der Region, jeden Morgen kostenlos in Ihrem Postfach, jederzeit kündbar.</p></div>")
    body = f"<article><p>{DE}</p>{box}<p>{DE2}</p><p>{DE3}</p></article>"
    assert text_of(body) == f"{DE}\n\n{DE2}\n\n{DE3}"


def test_an_id_made_from_a_heading_is_not_a_class_name() -> None:
    # documentation pages give each section the slug of its heading as id
    body = (f"{NAV}<div class='document'><div class='section' id='introduction'><p>{EN}</p><p>{EN3}</p></div>"
            f"<div class='section' id='sharing-with-a-single-server'><h2>Sharing with a single server</h2>"
            f"<p>{EN2}</p></div></div>")
    assert text_of(body, lang="en") == f"{EN}\n\n{EN3}\n\nSharing with a single server\n\n{EN2}"


def test_read_more_expander_and_print_only_block_hold_article_text() -> None:
    # each block holds under half the page's text: it is not exempt as a wrapper
    body = f"<article><p>{ES}</p><p>{ES2}</p><div class='read-more-content'><p>{ES3}</p></div></article>"
    assert text_of(body, lang="es") == f"{ES}\n\n{ES2}\n\n{ES3}"
    body = f"<article><p>{PL}</p><p>{PL2}</p><div class='print-only'><p>{PL3}</p></div></article>"
    assert text_of(body, lang="pl") == f"{PL}\n\n{PL2}\n\n{PL3}"


def test_a_read_more_button_before_the_rest_of_the_article_does_not_end_it() -> None:
    rest = f"<div class='story-rest'><p>{EN2}</p><p>{EN3}</p><p>{EN}</p></div>"
    first = "Road repairs will cost the city more than expected, the finance office warned on Monday."
    body = f"<article><p>{first}</p><div class='expander'>Read more</div>{rest}</article>"
    assert text_of(body, lang="en") == f"{first}\n\n{EN2}\n\n{EN3}\n\n{EN}"


def test_related_teasers_after_a_read_more_heading_still_end_the_article() -> None:
    teasers = "".join(f"<div class='item'><a href='/s{i}'>Other story number {i} about the city council</a>"
                      f"<p>{EN2}</p></div>" for i in range(3))
    body = f"<article><p>{EN}</p><p>{EN3}</p><h3>Read more</h3>{teasers}</article>"
    assert text_of(body, lang="en") == f"{EN}\n\n{EN3}"


def test_a_shop_page_whose_description_sits_in_a_tab_menu() -> None:
    description = ("Der Rucksack aus recyceltem Polyester fasst 22 Liter und hat ein gepolstertes Fach für "
                   "Laptops bis 15 Zoll, dazu zwei Seitentaschen für Trinkflaschen.")
    # the tab menu holds under half the page's text: it is not exempt as a wrapper
    body = (f"{NAV}<div class='product'><h1>Rucksack Alpin 22</h1><p>{DE3}</p><p>{DE}</p>"
            "<div class='tab-menu'><ul><li><a href='#d'>Beschreibung</a></li><li><a href='#p'>Pflege</a></li></ul>"
            f"<div class='tab-panel' id='d'><p>{description}</p></div></div></div>")
    assert text_of(body, title="Rucksack Alpin 22") == f"{DE3}\n\n{DE}\n\n{description}"


# ---------------------------------------------------------------- edges, headings

def test_an_h1_inside_the_text_is_a_section_heading_but_the_headline_goes() -> None:
    # wikis and page builders use <h1> for every section
    body = (f"{NAV}<div class='wiki-page'><h1>Historia miasta</h1><p>{PL}</p><h1>Gospodarka</h1><p>{PL2}</p>"
            f"<p>{PL3}</p></div>")
    assert text_of(body, title="Historia miasta", lang="pl") == f"{PL}\n\nGospodarka\n\n{PL2}\n\n{PL3}"


def test_a_short_greeting_and_closing_sentence_of_a_post_stay() -> None:
    body = (f"{NAV}<div class='post'><p>Hallo zusammen, kurze Frage an alle:</p><p>{DE}</p><p>{DE2}</p>"
            "<p>Vielen Dank im Voraus für eure Hilfe!</p></div>"
            "<div class='post-footer'><a href='/tag/rad'>Rad</a> <a href='/tag/stadt'>Stadt</a></div>")
    expected = ["Hallo zusammen, kurze Frage an alle:", DE, DE2, "Vielen Dank im Voraus für eure Hilfe!"]
    assert text_of(body).split("\n\n") == expected


def test_a_dateline_and_a_share_call_at_the_edges_still_go() -> None:
    body = (f"<article><p>12.03.2025</p><p>{EN}</p><p>{EN2}</p><p>Like this story? Share it with a friend!</p>"
            "<p>You may also like...</p></article>")
    assert text_of(body, lang="en") == f"{EN}\n\n{EN2}"


# ---------------------------------------------------------------- comment threads

def comments(n: int, text: str) -> str:
    return "".join(f"<li class='item'><p><b>Leser{i}</b> schrieb:</p><p>{text}</p></li>" for i in range(n))


def test_a_comment_section_longer_than_the_article_is_not_a_page_wrapper() -> None:
    thread = f"<div id='post-comments' class='comments-area'><ol>{comments(6, DE3)}</ol></div>"
    body = f"{NAV}<main><article><p>{DE}</p><p>{DE2}</p></article>{thread}</main>"
    assert text_of(body) == f"{DE}\n\n{DE2}"


def test_a_comment_count_heading_ends_the_article() -> None:
    thread = "".join(f"<div class='entry'><p>{PL3}</p></div>" for _ in range(2))
    body = f"<div class='wpis'><p>{PL}</p><p>{PL2}</p><h3>Komentarze (12)</h3>{thread}</div>"
    assert text_of(body, lang="pl") == f"{PL}\n\n{PL2}"
    zh = "这是一个关于城市交通的长篇报道，记者采访了多位市民，他们认为新的公交线路方便了出行。" * 3
    body = f"<div class='post'><p>{zh}</p><h3>留言列表 (42)</h3><ul><li>{zh[::-1]}</li><li>{zh[5:]}</li></ul></div>"
    assert text_of(body, lang="zh") == zh


# ---------------------------------------------------------------- tables

def test_rows_of_a_data_table_with_linked_names_are_not_teasers() -> None:
    rows = "".join(
        f"<tr><th><a href='/film/{i}'>Film number {i} of the list</a></th><td>19{60 + i}</td>"
        f"<td>{EN2 if i % 2 else EN3}</td></tr>" for i in range(6))
    body = f"{NAV}<div class='list'><p>{EN}</p><table class='data'><tbody>{rows}</tbody></table></div>"
    text = text_of(body, lang="en")
    assert text.count("Film number") == 6


def test_a_furniture_named_link_inside_a_paragraph_does_not_cut_it() -> None:
    # study texts and wikis link glossary words with classes such as "popup" or "tooltip"
    linked = DE.replace("Radwegenetz", "<a class='popup' href='#g1'>Radwegenetz</a>").replace(
        "Millionen", "<a class='tooltip share' href='#g2'>Millionen</a>")
    text = text_of(f"{NAV}<div class='text'><p>{linked}</p><p>{DE2}</p></div>")
    assert text == f"{DE}\n\n{DE2}"


def test_a_named_sidebar_with_a_long_live_feed_is_not_a_page_wrapper() -> None:
    feed = "".join(f"<li class='live-item'><p>{FR2 if i % 2 else ES2}</p></li>" for i in range(6))
    body = (f"<div class='main'><article><p>{FR}</p><p>{FR2}</p></article>"
            f"<aside id='sidebar'><ul>{feed}</ul></aside></div>")
    assert text_of(body, lang="fr") == f"{FR}\n\n{FR2}"


def test_a_linked_item_in_a_list_of_prose_items_stays() -> None:
    notes = [f"<li>{EN}</li>", "<li><a href='/bug/1553982'>Bug 1553982 has landed in the nightly build</a></li>",
             f"<li>{EN2}</li>", f"<li>{EN3}</li>"]
    related = "<ul><li><a href='/a'>Another story about the council budget</a></li>" \
              "<li><a href='/b'>One more story about the city roads</a></li></ul>"
    text = text_of(f"{NAV}<div class='notes'><p>{FR}</p><ul>{''.join(notes)}</ul>{related}</div>", lang="en")
    assert text == f"{FR}\n\n{EN}\n\nBug 1553982 has landed in the nightly build\n\n{EN2}\n\n{EN3}"


# ---------------------------------------------------------------- forums

def forum_thread(bodies: list[str]) -> str:
    posts = "".join(
        f"<div class='post' id='p{i}'><div class='postprofile'><a href='/u/{i}'>Nutzer{i}</a></div>"
        f"<div class='postbody'><h3><a href='#p{i}'>Re: Radweg in der Innenstadt</a></h3>"
        f"<div class='content'>{body}</div><div class='signature'>Gruß aus Köln</div></div></div>"
        for i, body in enumerate(bodies))
    return f"{NAV}<div id='page-body'><h2>Radweg in der Innenstadt</h2>{posts}</div>"


def test_forum_posts_with_permalink_headings_are_not_teasers() -> None:
    text = text_of(forum_thread([DE, DE2, DE3]))
    for body in (DE, DE2, DE3):
        assert body in text
    assert "Gruß aus Köln" not in text


def test_a_page_that_is_only_a_list_of_posts_is_not_empty() -> None:
    items = "".join(f"<div class='entry'><a href='/post/{i}'>Beitrag Nummer {i} über den Radverkehr</a>"
                    f"<p>{body}</p></div>" for i, body in enumerate((DE, DE2, DE3)))
    text = text_of(f"{NAV}<div class='entries'>{items}</div>")
    for body in (DE, DE2, DE3):
        assert body in text


def test_a_heading_over_a_table_after_the_last_paragraph_stays() -> None:
    rows = "".join(f"<tr><td>{day}</td><td>{hours}</td></tr>" for day, hours in
                   (("Montag", "8 bis 16 Uhr"), ("Freitag", "8 bis 12 Uhr")))
    body = f"{NAV}<div class='content'><p>{DE}</p><p>{DE2}</p><h2>Öffnungszeiten</h2><table>{rows}</table></div>"
    assert text_of(body).endswith(f"{DE2}\n\nÖffnungszeiten\n\nMontag 8 bis 16 Uhr\n\nFreitag 8 bis 12 Uhr")


def test_a_photo_gallery_inside_the_article_is_furniture() -> None:
    slides = "".join(f"<li><h2>{i}/20 Bild</h2><p>{DE3 if i % 2 else DE2}</p><p class='credits'>dpa</p></li>"
                     for i in range(1, 3))
    gallery = f"<div class='bildergalerie'><ul class='legends'>{slides}</ul></div>"
    body = f"<article><p>{DE}</p><p>{EN}</p>{gallery}<p>{EN2}</p><p>{FR}</p></article>"
    assert text_of(body) == f"{DE}\n\n{EN}\n\n{EN2}\n\n{FR}"


# ---------------------------------------------------------------- live blogs

def test_live_ticker_entries_named_comments_are_the_text_of_a_live_blog() -> None:
    entries = "".join(f"<div class='comment ticker-item'><time>10:{i}0</time><p>{body}</p></div>"
                      for i, body in enumerate((DE, DE2, DE3)))
    ld = ("<script type='application/ld+json'>{\"@context\": \"https://schema.org\", "
          "\"@type\": \"LiveBlogPosting\", \"headline\": \"Liveticker: Stadtrat\"}</script>")
    body = f"{NAV}<div class='ticker'><p>{EN}</p><p>{EN2}</p>{entries}</div>"
    page_html = f"<html lang='de'><head>{ld}</head><body>{body}</body></html>"
    text = extract_html(page_html).text
    for entry in (DE, DE2, DE3):
        assert entry in text
    # without the page saying it is a live blog, the same entries are a comment thread
    assert DE3 not in text_of(body)
