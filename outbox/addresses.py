"""Structured postal addresses: name lines, street, postcode, city, country.

One structure serves three directions, so they never disagree:

* :func:`format_lines` turns an address into the window lines, laid out as the
  destination country's post expects (UPU convention and the national rules below);
* :func:`parse_lines` reads window lines (typed by a caseworker, taken from the Akte, or
  read back from an uploaded PDF) into the structure, and says in German what is missing;
* the letter row keeps the structure (``outbox_letters.recipient_address``) and the
  manifest hands it to the print street.

Foreign mail ends with the destination country's name in capitals on its own line, in
German (the language of the posting country, as the UPU convention allows; Deutsche Post
sorts on it). Mail to the sender's own country has no country line. National layouts:

====  ================================================  ==========================
code  postcode / city line                              example
====  ================================================  ==========================
DE    five digits, city                                 ``12345 Musterstadt``
AT    four digits, city                                 ``1010 Wien``
CH    four digits, city                                 ``8001 Zürich``
FR    five digits, city in capitals (La Poste)          ``75001 PARIS``
NL    ``1234 AB``, two spaces, city in capitals         ``1012 AB  AMSTERDAM``
PL    ``NN-NNN``, city                                  ``00-950 Warszawa``
TR    five digits, district/PROVINCE as written         ``06570 Çankaya/ANKARA``
GB    post town in capitals, postcode on its own line   ``LONDON`` / ``SW1A 1AA``
====  ================================================  ==========================

Other known countries use ``postcode city``. Unknown country codes are refused: a
country line the sorting office cannot read sends the letter on a tour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from outbox.printcheck_errors import fail


@dataclass(frozen=True)
class Country:
    name: str  # German, capitals, as printed on the last line
    postcode: str  # regular expression of a valid postcode
    example: str
    style: str = "plain"  # plain | caps_city | nl | gb


COUNTRIES: dict[str, Country] = {
    "DE": Country("DEUTSCHLAND", r"\d{5}", "12345"),
    "AT": Country("ÖSTERREICH", r"\d{4}", "1010"),
    "CH": Country("SCHWEIZ", r"\d{4}", "8001"),
    "FR": Country("FRANKREICH", r"\d{5}", "75001", "caps_city"),
    "NL": Country("NIEDERLANDE", r"\d{4} ?[A-Z]{2}", "1012 AB", "nl"),
    "PL": Country("POLEN", r"\d{2}-\d{3}", "00-950"),
    "TR": Country("TÜRKEI", r"\d{5}", "06570"),
    "GB": Country("VEREINIGTES KÖNIGREICH", r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA", "gb"),
    "BE": Country("BELGIEN", r"\d{4}", "1000"),
    "LU": Country("LUXEMBURG", r"\d{4}", "1009"),
    "DK": Country("DÄNEMARK", r"\d{4}", "1050"),
    "CZ": Country("TSCHECHIEN", r"\d{3} ?\d{2}", "110 00"),
    "IT": Country("ITALIEN", r"\d{5}", "00184"),
    "ES": Country("SPANIEN", r"\d{5}", "28001"),
    "RO": Country("RUMÄNIEN", r"\d{6}", "010011"),
    "BG": Country("BULGARIEN", r"\d{4}", "1000"),
    "GR": Country("GRIECHENLAND", r"\d{3} ?\d{2}", "105 57"),
    "HR": Country("KROATIEN", r"\d{5}", "10000"),
    "HU": Country("UNGARN", r"\d{4}", "1051"),
    "PT": Country("PORTUGAL", r"\d{4}-\d{3}", "1100-148"),
    "SE": Country("SCHWEDEN", r"\d{3} ?\d{2}", "111 52"),
    "UA": Country("UKRAINE", r"\d{5}", "01001"),
}
#: Other spellings a caseworker or an old letter may put on the last line.
ALIASES = {
    "GROSSBRITANNIEN": "GB",
    "GROẞBRITANNIEN": "GB",
    "UNITED KINGDOM": "GB",
    "ENGLAND": "GB",
    "AUSTRIA": "AT",
    "SWITZERLAND": "CH",
    "SUISSE": "CH",
    "FRANCE": "FR",
    "NETHERLANDS": "NL",
    "NEDERLAND": "NL",
    "HOLLAND": "NL",
    "POLAND": "PL",
    "POLSKA": "PL",
    "TURKEY": "TR",
    "TÜRKIYE": "TR",
    "TURKIYE": "TR",
    "GERMANY": "DE",
    "TSCHECHISCHE REPUBLIK": "CZ",
}
_BY_NAME = {c.name: code for code, c in COUNTRIES.items()} | ALIASES
_STREET = re.compile(r"(\d+\s*[a-zA-Z]?\b|postfach|packstation|postlagernd)", re.IGNORECASE)


class PostalAddress(BaseModel):
    """An address as the caseworker enters it and the letter keeps it."""

    #: the recipient: name, and as needed title, c/o, company, department (1 … 5 lines)
    name_lines: list[Annotated[str, Field(json_schema_extra={"pattern": r"\S"})]] = Field(
        min_length=1, max_length=5
    )
    #: street and house number, or ``Postfach 12 34``
    street: str | None = Field(default=None, max_length=200)
    postcode: str | None = Field(default=None, max_length=16)
    city: str | None = Field(default=None, max_length=120)
    #: ISO 3166-1 alpha-2 code, e.g. ``DE``, ``AT``, ``GB``
    country: str = Field(default="DE", min_length=2, max_length=2)

    @field_validator("name_lines")
    @classmethod
    def _no_blank_names(cls, lines: list[str]) -> list[str]:
        lines = [line.strip() for line in lines]
        if not all(lines):
            raise ValueError("empty name line")
        return lines

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


def country_name(code: str) -> str:
    return COUNTRIES[code].name


def _upper(text: str) -> str:
    return text.upper().replace("ẞ", "SS")


def _postcode(address: PostalAddress, country: Country) -> str:
    postcode = (address.postcode or "").strip().upper()
    if not re.fullmatch(country.postcode, postcode):
        raise fail(
            "address_zone",
            f"die Postleitzahl „{address.postcode or ''}“ passt nicht "
            f"zu {country.name.title()} (Beispiel: {country.example})",
        )
    if country.style == "nl":
        postcode = f"{postcode[:4]} {postcode[-2:]}"
    elif country.style == "gb" and " " not in postcode:
        postcode = f"{postcode[:-3]} {postcode[-3:]}"
    return postcode


def format_lines(address: PostalAddress, origin: str = "DE") -> list[str]:
    """The window lines for ``address`` posted in ``origin``; 422 naming what is wrong."""
    country = COUNTRIES.get(address.country)
    if country is None:
        raise fail(
            "address_zone",
            f"unbekannter Ländercode „{address.country}“; bekannt "
            f"sind {', '.join(sorted(COUNTRIES))}",
        )
    city = (address.city or "").strip()
    if not city:
        raise fail("address_zone", "der Ort fehlt")
    if not (address.street or "").strip():
        raise fail("address_zone", "Straße und Hausnummer (oder Postfach) fehlen")
    postcode = _postcode(address, country)
    lines = [*address.name_lines, address.street.strip()]  # type: ignore[union-attr]
    if country.style == "gb":
        lines += [_upper(city), postcode]
    elif country.style == "nl":
        lines.append(f"{postcode}  {_upper(city)}")
    elif country.style == "caps_city":
        lines.append(f"{postcode} {_upper(city)}")
    else:
        lines.append(f"{postcode} {city}")
    if address.country != origin:
        lines.append(country.name)
    return lines


def return_line(address: PostalAddress, origin: str = "DE") -> str:
    """The one-line Rücksendeangabe: ``Name · Street · Postcode City``."""
    lines = format_lines(address, origin)
    return " · ".join(lines)


class AddressUnreadable(ValueError):
    """Window lines that are not a postal address; the message says why (German)."""


def _country_of(line: str) -> str | None:
    key = _upper(line.strip())
    return _BY_NAME.get(key)


def parse_lines(lines: list[str], origin: str = "DE") -> PostalAddress:
    """The structure of window lines. A last line naming a country makes it foreign mail;
    otherwise it is mail to ``origin``. Raises :class:`AddressUnreadable`."""
    lines = [line.strip() for line in lines if line.strip()]
    if not lines:
        raise AddressUnreadable("keine Anschrift")
    code = origin
    if len(lines) > 1 and (found := _country_of(lines[-1])) is not None:
        code, lines = found, lines[:-1]
    country = COUNTRIES.get(code) or COUNTRIES["DE"]
    if country.style == "gb":
        if len(lines) < 4 or not re.fullmatch(country.postcode, lines[-1].upper()):
            raise AddressUnreadable(
                f"die Postleitzahl fehlt in der letzten Zeile (Beispiel: {country.example})"
            )
        postcode, city, rest = lines[-1].upper(), lines[-2], lines[:-2]
    else:
        city_line = re.compile(rf"^(?:[A-Z]{{1,2}}-)?({country.postcode})\s+(\S.*)$")
        match = city_line.match(lines[-1])
        if match is None:
            what = (
                "fünfstelliger Postleitzahl"
                if code == "DE"
                else f"Postleitzahl ({country.example})"
            )
            raise AddressUnreadable(f"keine Zeile mit {what} und Ort")
        postcode, city, rest = match[1], match[2].strip(), lines[:-1]
    if len(rest) < 2:
        raise AddressUnreadable("über Postleitzahl und Ort fehlen Name und Straße")
    street = rest[-1]
    if code == origin == "DE" and not _STREET.search(street):
        raise AddressUnreadable(
            f"über der Postleitzahl steht keine Straße mit Hausnummer oder Postfach: „{street}“"
        )
    if len(rest) - 1 > 5:
        raise AddressUnreadable(f"{len(rest) - 1} Namenszeilen; höchstens 5")
    return PostalAddress(
        name_lines=rest[:-1], street=street, postcode=postcode, city=city, country=code
    )


def lenient(lines: list[str], origin: str = "DE") -> dict:
    """The structure as far as it can be read (for letters stored before addresses were
    kept): unreadable lines all become name lines."""
    try:
        return parse_lines(lines, origin).model_dump()
    except (AddressUnreadable, ValueError):
        return {
            "name_lines": [line for line in lines if line.strip()],
            "street": None,
            "postcode": None,
            "city": None,
            "country": origin,
        }
