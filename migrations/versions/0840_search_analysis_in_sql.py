"""search: German analysis inside PostgreSQL (text search configurations ``akte_german``
and ``akte_names``, functions ``akte_fold`` and ``akte_search_vector``)

Revision ID: 0840
Revises: 0720

Until now the PostgreSQL search engine analysed every document in Python (fold, Snowball
stem, tsvector literal) — about 1.1 ms CPU per document, which kept ``akte search
reindex`` near 100 documents/s. The same analysis now runs in PostgreSQL's C code:

* ``akte_fold(text)``: lower case, ``ä/ö/ü/é/è`` to the bare vowel, ``ß`` to ``ss``, and
  ``ae/oe/ue`` written for an umlaut to the bare vowel unless after ``a``, ``e`` or ``q``
  (Bauer, Steuer, Quelle stay) — exactly :func:`search.analysis.fold`, which the Whoosh
  engine uses. No dictionary or rules file can express the digraph rule (and a rules file
  would have to be copied onto the database server), hence a function.
* ``akte_german``: PostgreSQL's default parser, words stemmed by Snowball German (the
  dictionary ``akte_german_stem``; unlike the built-in ``german`` configuration without
  stop words: the Whoosh engine indexes every word), numbers, dates and other non-words
  lower-cased. Hyphenated compounds are indexed by their parts, as the Whoosh tokenizer
  cuts them.
* ``akte_names``: the same parser, nothing stemmed (person names, identifier words,
  prefixes).
* ``akte_search_vector(name, refs, title, doc_type, body)``: the weighted ``tsvector``
  of one document: A name and identifier words, B title, C Dokumentart, D text.

Both sides use them: the index rows are computed from the raw text, the query's words go
through ``to_tsquery`` with the same configuration. Existing rows stay valid until the
next ``akte search reindex`` (same lexemes for ordinary words).
"""

# The DDL is formatted from this module's constants only, never from input.
# ruff: noqa: S608

from collections.abc import Sequence

from alembic import op

revision: str = "0840"
down_revision: str | Sequence[str] | None = "0720"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Parser token types that are words (stemmed) and those that are not (kept whole).
WORD_TOKENS = "asciiword, word, hword_asciipart, hword_part"
OTHER_TOKENS = (
    "numword, hword_numpart, email, url, host, url_path, file, sfloat, float, int, uint, version"
)
#: A document's text up to this many bytes is analysed with positions in one piece
#: (its tsvector cannot pass PostgreSQL's 1 MB limit); beyond it, the remaining words are
#: added once each at the last position (found as words, not as phrases).
WHOLE_BYTES = 150_000

#: ``replace`` per letter: ``translate`` walks multibyte text several times slower.
_UMLAUTS = (
    ("ä", "a"),
    ("ö", "o"),
    ("ü", "u"),
    ("ß", "ss"),
    ("é", "e"),
    ("è", "e"),
    ("Ä", "a"),
    ("Ö", "o"),
    ("Ü", "u"),
    ("ẞ", "ss"),
    ("É", "e"),
    ("È", "e"),
)


def _replaced(expression: str, pairs) -> str:  # type: ignore[no-untyped-def]
    for old, new in pairs:
        expression = f"replace({expression}, '{old}', '{new}')"
    return expression


# The digraph rule consumes the letter before the digraph instead of looking behind
# (PostgreSQL's look-behind is slower): equal, because a digraph whose letter before was
# consumed by the previous match follows an "e" and stays either way.
FOLD = rf"""
CREATE FUNCTION akte_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT regexp_replace({_replaced("lower(value)", _UMLAUTS)},
                      '([^aeq]|^)([aou])e', '\1\2', 'g')
$$
"""

#: Characters the Whoosh tokenizer cuts at but PostgreSQL's parser reads as part of a
#: token (a signed number, a path, an e-mail address, a URL, and markup: after a "<" the
#: parser takes everything up to the next ">" for an HTML tag and drops it, "&…;" for an
#: entity): blanks before parsing.
_JOINERS = tuple((c, " ") for c in "-/@:+<>&")

WORDS = rf"""
CREATE FUNCTION akte_words(value text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
SELECT {_replaced("akte_fold(value)", _JOINERS)}
$$
"""

VECTOR = f"""
CREATE FUNCTION akte_search_vector(name text, refs text, title text, doc_type text,
                                   body text) RETURNS tsvector
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    head tsvector;
    tail text;
BEGIN
    IF body IS NULL OR octet_length(body) <= {WHOLE_BYTES} THEN
        head := to_tsvector('akte_german', akte_words(coalesce(body, '')));
    ELSE
        -- cut at a blank, so no word is split; the rest: each word once, at the last
        -- position (a tsvector stays below 1 MB however long the text is)
        tail := substr(body, {WHOLE_BYTES // 2} + 1);
        head := to_tsvector('akte_german',
                            akte_words(substr(body, 1, {WHOLE_BYTES // 2})
                                       || split_part(tail, ' ', 1)));
        tail := substr(tail, length(split_part(tail, ' ', 1)) + 1);
        head := head || coalesce((
            SELECT string_agg('''' || replace(replace(l, '\\', '\\\\'), '''', '''''')
                              || ''':16383', ' ')::tsvector
            FROM (SELECT DISTINCT unnest(tsvector_to_array(
                      to_tsvector('akte_german', akte_words(tail)))) AS l) AS lexemes
        ), ''::tsvector);
    END IF;
    RETURN setweight(to_tsvector('akte_names', akte_words(coalesce(name, ''))), 'A')
        || setweight(to_tsvector('akte_names', akte_words(coalesce(refs, ''))), 'A')
        || setweight(to_tsvector('akte_german', akte_words(coalesce(title, ''))), 'B')
        || setweight(to_tsvector('akte_german', akte_words(coalesce(doc_type, ''))), 'C')
        || head;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TEXT SEARCH DICTIONARY akte_german_stem (TEMPLATE = snowball, Language = german)"
    )
    op.execute("CREATE TEXT SEARCH CONFIGURATION akte_german (PARSER = default)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION akte_german ADD MAPPING FOR {WORD_TOKENS} "
        "WITH akte_german_stem"
    )
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION akte_german ADD MAPPING FOR {OTHER_TOKENS} WITH simple"
    )
    op.execute("CREATE TEXT SEARCH CONFIGURATION akte_names (PARSER = default)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION akte_names ADD MAPPING FOR {WORD_TOKENS}, "
        f"{OTHER_TOKENS} WITH simple"
    )
    # the driver's own call: SQLAlchemy would read the ':16383' in VECTOR as a parameter
    bind = op.get_bind()
    for statement in (FOLD, WORDS, VECTOR):
        bind.exec_driver_sql(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS akte_search_vector(text, text, text, text, text)")
    op.execute("DROP FUNCTION IF EXISTS akte_words(text)")
    op.execute("DROP FUNCTION IF EXISTS akte_fold(text)")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS akte_names")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS akte_german")
    op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS akte_german_stem")
