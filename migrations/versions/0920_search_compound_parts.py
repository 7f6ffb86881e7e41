"""search: compound parts in the tsvector (``akte_search_vector`` with six arguments)

Revision ID: 0920
Revises: 0840

The PostgreSQL engine indexes the parts of German compounds ("Nebenkostenabrechnung" →
Nebenkosten, Abrechnung, Neben, Kosten), split in Python by the same decompounder the
Whoosh engine uses, and sent as a sixth text. Whole words must rank above parts, so the
weights move: **A** person name and identifier words, **B** title and Dokumentart, **C**
page text, **D** compound parts (lowest ``ts_rank`` weight). Rows written before keep
their old weights until ``akte search reindex`` (the text of such rows is found only
after it: run it after the upgrade, as the Whoosh index's new format asks anyway).
The five-argument function stays for rows in flight during a rolling upgrade.
"""

# The DDL is formatted from this module's constants only, never from input.
# ruff: noqa: S608

from collections.abc import Sequence

from alembic import op

revision: str = "0920"
down_revision: str | Sequence[str] | None = "0840"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: As in 0840: a text up to this many bytes is analysed with positions in one piece.
WHOLE_BYTES = 150_000

VECTOR = f"""
CREATE FUNCTION akte_search_vector(name text, refs text, title text, doc_type text,
                                   body text, parts text) RETURNS tsvector
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    head tsvector;
    tail text;
BEGIN
    IF body IS NULL OR octet_length(body) <= {WHOLE_BYTES} THEN
        head := to_tsvector('akte_german', akte_words(coalesce(body, '')));
    ELSE
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
        || setweight(to_tsvector('akte_german', akte_words(coalesce(doc_type, ''))), 'B')
        || setweight(head, 'C')
        || setweight(to_tsvector('akte_german', akte_words(coalesce(parts, ''))), 'D');
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # the driver's own call: SQLAlchemy would read the ':16383' as a parameter
    op.get_bind().exec_driver_sql(VECTOR)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS akte_search_vector(text, text, text, text, text, text)")
