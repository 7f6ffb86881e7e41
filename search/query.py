"""The user's query language, parsed into a Whoosh query (or a helpful 400).

Syntax (see ``search/README.md`` for the user-facing version)::

    Müller Kontoauszug          all words must match (in any searchable field)
    "Miete Juli"                phrase
    Müller OR Meier             either
    -Mahnung   NOT Mahnung      exclusion
    art:Kontoauszug  az:AZ-2024-000123  bg:12345BG0012345  name:Müller  quelle:scan-import
    status:open  iban:DE89…  titel:…  kdnr:…
    Lohn*                       prefix
    Müler~   Müler~2            fuzzy (1 or 2 edits)
    datum:2024-01-01..2024-03-31   eingang:2024..   jahr:2023   (also datum:[2024-01 TO 2024-06])

Whoosh's parser accepts almost anything silently (an unknown ``feld:`` becomes a word, an
unbalanced quote is dropped); a caseworker then gets plausible but wrong results. We check
the things people get wrong first and answer with what to fix.
"""

from __future__ import annotations

import re
from datetime import date
from itertools import pairwise

from whoosh import qparser, query
from whoosh.fields import Schema

from search.backend import InvalidQuery
from search.folding import latin_fold
from search.schema import DEFAULT_FIELDS, FIELD_ALIASES
from search.synonyms import Expander
from search.synonyms import expander as default_expander

MAX_QUERY_CHARS = 1000
_FIELD_PREFIX = re.compile(r"(?:^|(?<=[\s(\-]))([A-Za-zÄÖÜäöüß_]+):")
_RANGE = re.compile(r"\b([A-Za-z]+):([^\s()]*?)\.\.([^\s()]*)(?=$|[\s)])")
_DATE_FIELDS = {"datum", "date", "eingang", "received"}
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$|^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _outside_quotes(text: str) -> str:
    """The query with quoted phrases blanked out (field checks must not look inside)."""
    return re.sub(r'"[^"]*"', lambda m: " " * len(m.group(0)), text)


def _iso(value: str, field: str) -> str:
    match = _DATE.match(value)
    if not match:
        raise InvalidQuery(
            f"'{value}' in {field}: is not a date; write YYYY-MM-DD, YYYY-MM, YYYY or TT.MM.JJJJ"
        )
    if match.group(6):
        y, m, d = match.group(6), match.group(5), match.group(4)
    else:
        y, m, d = match.group(1), match.group(2), match.group(3)
    try:
        date(int(y), int(m or 1), int(d or 1))
    except ValueError as exc:
        raise InvalidQuery(f"'{value}' in {field}: is not a valid date ({exc})") from exc
    return "-".join(part.zfill(2) for part in (y, m, d) if part)


def _rewrite_ranges(text: str) -> str:
    """``datum:A..B`` (either end may be empty) → Whoosh's ``datum:[A TO B]``."""

    def repl(match: re.Match[str]) -> str:
        name, low, high = match.group(1), match.group(2), match.group(3)
        if name.lower() in _DATE_FIELDS:
            low = _iso(low, name) if low else ""
            high = _iso(high, name) if high else ""
        elif name.lower() in {"jahr", "year"}:
            if not all(v.isdigit() for v in (low, high) if v):
                raise InvalidQuery(f"{name}: takes years, e.g. {name}:2020..2023")
        else:
            raise InvalidQuery(f"ranges (a..b) work on datum:, eingang: and jahr:, not {name}:")
        if not low and not high:
            raise InvalidQuery(f"{name}: needs at least one end of the range")
        inner = f"{low} TO {high}".strip()
        return f"{name}:[{inner}]"

    return _RANGE.sub(repl, text)


def validate(text: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidQuery("the query is empty; type a name, a word or an Aktenzeichen")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidQuery(f"the query is longer than {MAX_QUERY_CHARS} characters")
    if text.count('"') % 2:
        raise InvalidQuery('a phrase is not closed: every " needs a partner')
    bare = _outside_quotes(text)
    depth = 0
    for char in bare:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            raise InvalidQuery("a ')' has no matching '('")
    if depth:
        raise InvalidQuery("a '(' is not closed")
    for match in _FIELD_PREFIX.finditer(bare):
        name = match.group(1)
        if name.lower() not in FIELD_ALIASES:
            known = ", ".join(
                sorted(
                    {
                        "art",
                        "az",
                        "bg",
                        "name",
                        "quelle",
                        "status",
                        "datum",
                        "eingang",
                        "jahr",
                        "titel",
                        "kdnr",
                        "iban",
                    }
                )
            )
            raise InvalidQuery(
                f"unknown field '{name}:'; known fields: {known}. "
                f'To search for the text itself, put it in quotes: "{name}:…"'
            )
    if re.search(r"(?:^|[\s(:\-])[^\s(:\-*?]{0,1}[*?]", bare):
        raise InvalidQuery("put at least two letters before * or ?, e.g. Lohn*")
    if re.search(r"(?:^|\s)(AND|OR)\s*$|^\s*(AND|OR)\s", text):
        raise InvalidQuery("AND/OR needs a word on both sides")
    return _rewrite_ranges(text)


class QueryParser:
    """A reusable parser (building one compiles the plugin regexes: do it once)."""

    def __init__(self, schema: Schema) -> None:
        parser = qparser.MultifieldParser(DEFAULT_FIELDS, schema, group=qparser.AndGroup)
        parser.remove_plugin_class(qparser.OperatorsPlugin)
        parser.add_plugin(
            qparser.OperatorsPlugin(Not=r"(^|(?<=(\s|[()])))(NOT(?=\s)|-(?=[^\s\-]))")
        )
        parser.add_plugin(qparser.FuzzyTermPlugin())
        aliases: dict[str, list[str]] = {}
        for alias, field in FIELD_ALIASES.items():
            if alias != field:
                aliases.setdefault(field, []).append(alias)
                aliases[field].append(alias.upper())
                aliases[field].append(alias.capitalize())
        parser.add_plugin(qparser.FieldAliasPlugin(aliases))
        self._parser = parser

    def parse(self, text: str, expander: Expander | None = None) -> query.Query:
        """The query tree of ``text``; its words are expanded with synonyms and compound
        parts (:mod:`search.synonyms`; ``expander`` carries a tenant's own groups) and
        every Latin letter folded (:func:`search.folding.latin_fold`) first."""
        cleaned = latin_fold(validate(text))
        cleaned = (expander or default_expander()).expand(cleaned)
        try:
            parsed = self._parser.parse(cleaned)
        # Whoosh raises a bare Exception for an unparseable date ("... is not a parseable
        # date"); the text is still the user's mistake, never a server error.
        except Exception as exc:
            raise InvalidQuery(f"the query could not be read: {exc}") from exc
        if parsed is query.NullQuery or isinstance(parsed, type(query.NullQuery)):
            raise InvalidQuery("the query has no searchable word (only very common words?)")
        return parsed.accept(_rewrite)


def _rewrite(node: query.Query) -> query.Query:
    """Turns the parsed query into the one the index can answer quickly.

    * ``Müler~`` keeps the first letter (``Müler~1/1``): misspellings rarely hit it, and
      without a fixed prefix Whoosh compares the word with the field's whole vocabulary
      (every amount and date of a million documents) — ten times slower.
    * A phrase in the document text becomes a conjunction of its word pairs in the
      ``pairs`` field (the text is indexed without positions; see
      :class:`search.analysis.WordPairFilter`).
    """
    if isinstance(node, query.FuzzyTerm):
        node.prefixlength = max(node.prefixlength, 1)
        node.maxdist = min(node.maxdist, 2)
    elif isinstance(node, query.Phrase) and node.fieldname == "content":
        return phrase_as_pairs(node.words, node.boost)
    elif isinstance(node, query.Phrase) and node.fieldname == "parts":
        return query.NullQuery  # parts have no order: a phrase is the text's business
    return node


def phrase_as_pairs(words: list[str], boost: float = 1.0) -> query.Query:
    """The pair-term query for analysed phrase ``words`` (one word: a plain term)."""
    if len(words) == 1:
        return query.Term("content", words[0], boost=boost)
    pairs = [query.Term("pairs", f"{a} {b}") for a, b in pairwise(words)]
    return query.And(pairs, boost=boost) if len(pairs) > 1 else pairs[0]


#: Plain words a typo is allowed in: letters only, standing alone (not after ``feld:``).
_TYPO_WORD = re.compile(r"(?:(?<=^)|(?<=[\s(]))([^\W\d_]{5,})(?=$|[\s)])")


def typo_tolerant(text: str) -> str | None:
    """``text`` with each plain word of five letters or more made fuzzy (one edit, two
    from eight letters; the first letter fixed), for a second try when nothing matched
    as typed — typo tolerance without syntax. ``None`` when there is nothing to loosen
    (quotes, ``~`` or operators typed: the user asked for something exact)."""
    if '"' in text or "~" in text or "*" in text:
        return None
    words = [m for m in _TYPO_WORD.finditer(text) if m.group(1) not in ("AND", "OR", "NOT")]
    if not words:
        return None
    return _TYPO_WORD.sub(
        lambda m: (
            m.group(1)
            if m.group(1) in ("AND", "OR", "NOT")
            else f"{m.group(1)}~{1 if len(m.group(1)) < 8 else 2}"
        ),
        text,
    )
