"""A generated German corpus: Akten with names, addresses, amounts and typical documents.

Shared by the relevance tests and ``bench/search.py``; seeded, so runs are comparable.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta


def _words(text: str) -> list[str]:
    return text.split()


SURNAMES = _words(
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
    "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann "
    "Hartmann Lange Schmitt Werner Schmitz Krause Meier Lehmann Schmid Schulze Maier Köhler "
    "Herrmann König Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Möller Weiß Jung Hahn "
    "Schubert Vogel Friedrich Keller Günther Frank Berger Winkler Roth Beck Lorenz Baumann "
    "Franke Albrecht Schuster Simon Ludwig Böhm Winter Kraus Martin Schumacher Krämer Vogt "
    "Stein Jäger Otto Sommer Groß Seidel Heinrich Brandt Haas Schreiber Graf Dietrich Ziegler "
    "Kuhn Kühn Pohl Engel Horn Busch Bergmann Voigt Sauer Arnold Pfeiffer Yılmaz Kaya Demir "
    "Nowak Kowalski Popescu Öztürk Gashi Ahmadi Hussein Petrović"
)
FIRST_NAMES = _words(
    "Anna Maria Sophie Lena Laura Julia Sarah Lisa Katharina Hannah Emma Mia Leonie Petra "
    "Sabine Monika Ursula Jürgen Thomas Michael Andreas Stefan Christian Peter Klaus Uwe Jörg "
    "Lukas Jonas Felix Leon Paul Elias Ali Mehmet Fatma Ayşe Olga Natalia Ivana Emir"
)
STREETS = _words(
    "Hauptstraße Bahnhofstraße Gartenstraße Schulstraße Lindenweg Kirchgasse Rosenstraße "
    "Bergstraße Mühlenweg Goethestraße Schillerstraße Birkenweg Marktplatz Feldstraße"
)
CITIES = _words("Musterstadt Neudorf Altenburg Bergheim Waldkirchen Lindau Rheinfelden")
EMPLOYERS = [
    "Bäckerei Sonnenschein GmbH",
    "Pflegedienst Lebensfreude",
    "Logistik Nord AG",
    "Gebäudereinigung Blitzblank",
    "Stadtwerke Musterstadt",
    "Gasthaus zur Linde",
]
DOC_TYPES = [
    "Kontoauszug",
    "Lohnabrechnung",
    "Mietvertrag",
    "Bescheid",
    "Antrag",
    "Widerspruch",
    "Nebenkostenabrechnung",
    "Arbeitsvertrag",
    "Krankmeldung",
]
SOURCES = ["scan-import", "citizen-upload", "staff-upload", "letter"]

PHRASES = {
    "Kontoauszug": [
        "Kontoauszug Nr. {n} der Sparkasse {city} für das Girokonto von {name}.",
        "IBAN {iban}. Alter Kontostand {amount} EUR, neuer Kontostand {amount2} EUR.",
        "Gutschrift Arbeitslosengeld II Jobcenter {amount} EUR. Lastschrift Miete {rent} EUR.",
        "Überweisung an Stadtwerke {city} Abschlag Strom {amount3} EUR.",
    ],
    "Lohnabrechnung": [
        "Abrechnung der Brutto-Netto-Bezüge für {month} {year}, {employer}.",
        "Arbeitnehmer {name}, {street} {no}, {zip} {city}.",
        "Gesamtbrutto {amount} EUR, Lohnsteuer {amount3} EUR, Auszahlungsbetrag {amount2} EUR.",
    ],
    "Mietvertrag": [
        "Mietvertrag über Wohnraum zwischen Vermieter Wohnbau {city} und Mieter {name}.",
        "Die Wohnung in der {street} {no}, {zip} {city}, besteht aus {rooms} Zimmern.",
        "Die monatliche Grundmiete beträgt {rent} EUR zuzüglich Nebenkosten {amount3} EUR.",
    ],
    "Bescheid": [
        "Bescheid über Leistungen zur Sicherung des Lebensunterhalts nach dem SGB II.",
        "Sehr geehrte(r) {name}, für den Bewilligungszeitraum werden {amount} EUR bewilligt.",
        "Gegen diesen Bescheid kann innerhalb eines Monats Widerspruch erhoben werden.",
    ],
    "Antrag": [
        "Antrag auf Weiterbewilligung der Leistungen nach dem SGB II von {name}.",
        "Anschrift: {street} {no}, {zip} {city}. Es haben sich keine Änderungen ergeben.",
        "Beigefügt sind die Kontoauszüge der letzten drei Monate und die Mietbescheinigung.",
    ],
    "Widerspruch": [
        "Hiermit lege ich, {name}, Widerspruch gegen den Bescheid vom {date} ein.",
        "Die Kosten der Unterkunft wurden mit {rent} EUR zu niedrig angesetzt.",
    ],
    "Nebenkostenabrechnung": [
        "Betriebskostenabrechnung {year} für die Wohnung {street} {no} in {city}.",
        "Heizkosten {amount3} EUR, Wasser {amount} EUR, Nachzahlung {amount2} EUR.",
    ],
    "Arbeitsvertrag": [
        "Arbeitsvertrag zwischen {employer} und {name}, beginnend am {date}.",
        "Die Vergütung beträgt {amount} EUR brutto monatlich bei {hours} Wochenstunden.",
    ],
    "Krankmeldung": [
        "Arbeitsunfähigkeitsbescheinigung für {name}, voraussichtlich arbeitsunfähig bis {date}.",
    ],
}
FILLER = [
    "Bitte reichen Sie fehlende Unterlagen innerhalb von zwei Wochen ein.",
    "Mit freundlichen Grüßen, Ihr Jobcenter.",
    "Die Angaben wurden geprüft und sind vollständig.",
    "Rückfragen richten Sie bitte an Ihre Ansprechpartnerin im Team Leistung.",
    "Der Betrag wird auf das bekannte Konto überwiesen.",
    "Bei Änderungen Ihrer Verhältnisse sind Sie verpflichtet, diese unverzüglich mitzuteilen.",
    "Die Kosten der Unterkunft und Heizung werden in tatsächlicher Höhe anerkannt.",
    "Einkommen aus Erwerbstätigkeit wird nach Abzug der Freibeträge angerechnet.",
    "Der Regelbedarf für alleinstehende Personen ist gesetzlich festgelegt.",
    "Für die Bedarfsgemeinschaft wurden alle Mitglieder berücksichtigt.",
    "Die Unterlagen wurden am Empfang abgegeben und eingescannt.",
    "Eine Kopie dieses Schreibens verbleibt in der Akte.",
    "Die Mietbescheinigung des Vermieters liegt vor.",
    "Bitte geben Sie bei Rückfragen immer Ihre BG-Nummer an.",
    "Der Termin zur persönlichen Vorsprache findet im Jobcenter statt.",
    "Die Eingliederungsvereinbarung wurde gemeinsam besprochen.",
    "Nachweise über Vermögen, Sparbücher und Lebensversicherungen sind beizufügen.",
    "Die Heizkostenabrechnung ergab ein Guthaben zugunsten der Mieter.",
    "Sie haben das Recht, Ihre Unterlagen jederzeit einzusehen.",
    "Der Antrag gilt ab dem Ersten des Monats der Antragstellung.",
]
MONTHS = _words(
    "Januar Februar März April Mai Juni Juli August September Oktober November Dezember"
)


@dataclass
class Person:
    name: str
    street: str
    no: int
    zip: str
    city: str
    iban: str


def person(rng: random.Random, surname: str | None = None) -> Person:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(18))
    return Person(
        name=f"{rng.choice(FIRST_NAMES)} {surname or rng.choice(SURNAMES)}",
        street=rng.choice(STREETS),
        no=rng.randint(1, 120),
        zip=f"{rng.randint(10000, 99999)}",
        city=rng.choice(CITIES),
        iban=f"DE{rng.randint(10, 99)} {digits[0:4]} {digits[4:8]} {digits[8:12]} "
        f"{digits[12:16]} {digits[16:18]}",
    )


def _money(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high)},{rng.randint(0, 99):02d}"


def page_texts(
    rng: random.Random, who: Person, doc_type: str, pages: int, filler: int = 3
) -> list[str]:
    """Pages of plausible text for one document of ``doc_type`` (``filler`` sentences of
    boilerplate each; the benchmark uses 8–16, about 1–1.5 KB a page, like a letter)."""
    day = date(2019, 1, 1) + timedelta(days=rng.randint(0, 2000))
    values = {
        "name": who.name,
        "street": who.street,
        "no": who.no,
        "zip": who.zip,
        "city": who.city,
        "iban": who.iban,
        "n": rng.randint(1, 60),
        "amount": _money(rng, 200, 2500),
        "amount2": _money(rng, 10, 1500),
        "amount3": _money(rng, 20, 300),
        "rent": _money(rng, 300, 900),
        "employer": rng.choice(EMPLOYERS),
        "month": rng.choice(MONTHS),
        "year": day.year,
        "date": day.strftime("%d.%m.%Y"),
        "rooms": rng.randint(1, 5),
        "hours": rng.choice([15, 20, 30, 39]),
    }
    texts = []
    for _ in range(pages):
        lines = [line.format(**values) for line in PHRASES[doc_type]]
        lines += rng.sample(FILLER, k=min(filler, len(FILLER)))
        rng.shuffle(lines)
        texts.append("\n".join(lines))
    return texts
