"""The PostgreSQL engine behind :class:`search.backend.SearchBackend`.

A query is two statements on the read engine (the primary, or the replica named by
``AKTE_SEARCH_DATABASE_URL``): one for the total and the four facets (``GROUPING SETS``
over the matches), one for the page. Both carry the caller's scope in their ``WHERE``
(tenant, then org units or granted Akten), so nothing outside it is ever counted.

Writes take a connection from the caller when they belong to its transaction (an index
job upserts in the transaction that read the document) or open their own. There is no
per-process result cache: another host may have written a second ago, and PostgreSQL's
buffer cache is shared by every host anyway.

Exceptions: :class:`~search.backend.InvalidQuery` for queries the parser rejects,
:class:`~search.backend.SearchDegraded` when the table is missing (migrations not run).
"""

# Statements are assembled from fixed fragments; every value from a query is a bound
# parameter (``Compiled.param``), never formatted into the SQL text.
# ruff: noqa: S608

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from search.analysis import GermanStemFilter
from search.backend import Hit, Hits, IndexDoc, QuerySpec, SearchDegraded, SearchTimeout
from search.pg import vocabulary
from search.pg.compile import Compiler, unweight
from search.pg.rows import ROW_COLUMNS, to_row, vocabulary_word
from search.query import QueryParser
from search.schema import FACETS, make_schema
from search.snippets import make_snippet
from search.synonyms import expander

#: ts_rank weights for D (compound parts), C (text), B (title, Dokumentart), A (name) —
#: Whoosh's boosts (parts 0.4 of the text).
RANK_WEIGHTS = "{0.04, 0.1, 0.2, 0.3}"
#: An exact identifier hit (Aktenzeichen, BG-Nummer, IBAN) outranks any word match.
IDENT_BONUS = 1.0
FUZZY_BONUS = 0.3
#: Matches counted exactly; beyond, the answer says "more than" (``total_is_estimate``;
#: the web page: "Mehr als 1.000 Treffer") and the facets count these first matches.
#: Counting reads each match's row and, for a word most rows of the scope contain, tests
#: its ``tsv`` (TOAST, decompressed), so the count's cost grows with this bound: 10,000
#: cost 50-90 ms for a common word in one org unit of a 100,000-document tenant. 1,000 is
#: twenty pages of the web's result list; a caseworker narrows long before that (a word,
#: a Dokumentart, a year), and a narrowed query is counted exactly again.
COUNT_LIMIT = 1_000
#: Memory of a search statement's bitmaps and sorts (``SET LOCAL``): with the server's
#: default (4 MB) the bitmap of a common word over a million rows can turn lossy, and
#: every row of a lossy page is then tested again (not yet measured at that size).
WORK_MEM = "32MB"
#: Above this many matches a relevance page is ranked from candidates, not from every
#: match: the rows whose ``head`` (name, identifiers, title, Dokumentart; migration 0941)
#: has a searched word, newest first, plus the newest matches — each up to this many.
#: ``ts_rank`` reads a row's whole ``tsv`` (TOAST, decompressed); at or below the bound
#: every match is ranked, as before.
RANK_CANDIDATES = 500
#: ``cpu_operator_cost`` while counting (the server's default: 0.0025). The planner
#: prices a test of ``tsv @@`` like any operator, while each one reads the row's vector
#: from TOAST and decompresses it; so it counted two words of 11 % of the rows each
#: (``Kontoauszug Sparkasse``) by testing 9,327 rows in a sequential scan instead of
#: ANDing the two words' index bitmaps (200,000 documents: 55 → 11 ms). Ten times the
#: default turns that over; a word most rows contain (``Miete``) is still counted from
#: the first rows of a sequential scan, where building its bitmap costs more.
COUNT_OPERATOR_COST = "0.025"
_PLANNER_DEFAULTS = "SET LOCAL enable_indexscan = on; SET LOCAL cpu_operator_cost = DEFAULT"
#: Title matches are walked for, newest first, in at most this many of the caller's
#: newest rows, ``head`` (in the row) tested on each; fewer than ``RANK_CANDIDATES``
#: found in them and the head's GIN bitmap is read after all
#: (:meth:`PostgresBackend._candidates`).
WALK_ROWS = 10_000
#: The caller's newest rows a walk is tried on first (:meth:`PostgresBackend._walk`).
PROBE_ROWS = 1_000
#: Rows written per COPY batch in a rebuild.
COPY_BATCH = 2000
_FACET_BITS = {"doc_type": 7, "year": 11, "source": 13, "case_status": 14}
_FACET_COLUMNS = {
    "doc_type": "coalesce(d.doc_type, '')",
    "year": "d.year",
    "source": "d.source",
    "case_status": "d.case_status",
}
_RESULT = (
    "d.doc_id, d.case_file_id, d.title, d.doc_type, d.source, d.aktenzeichen, "
    "d.person_name, d.case_status, d.document_date, d.received_at"
)
_UPDATE = ", ".join(f"{c} = EXCLUDED.{c}" for c in ROW_COLUMNS if c != "doc_id")
#: The load table, per session, emptied at commit: ``COPY`` cannot skip conflicting rows.
_LOAD_TABLE = (
    "CREATE TEMP TABLE IF NOT EXISTS search_load "
    "(LIKE search_documents INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
)
_UPSERT = (
    f"INSERT INTO search_documents ({', '.join(ROW_COLUMNS)}) "
    f"SELECT {', '.join(ROW_COLUMNS)} FROM search_load l "
    "WHERE EXISTS (SELECT 1 FROM documents WHERE documents.id = l.document_id) "
    "OR EXISTS (SELECT 1 FROM case_notes WHERE case_notes.id = l.note_id) "
    f"ON CONFLICT (doc_id) DO UPDATE SET {_UPDATE}, indexed_at = clock_timestamp()"
)
#: Snippets mark words in Python; its stems equal ``akte_german``'s (the same Snowball
#: German after the same fold; ``tests/search/test_analysis_sql.py`` compares them).
_stemmer = GermanStemFilter()


class _Marks(frozenset):
    """Snippet words: exact stems, and prefixes (``lohn*``) matching any longer stem."""

    prefixes: tuple[str, ...] = ()

    def __contains__(self, word: object) -> bool:
        if frozenset.__contains__(self, word):
            return True
        return isinstance(word, str) and word.startswith(self.prefixes)


class PostgresBackend:
    def __init__(
        self,
        engine: Engine,
        read_engine: Engine | None = None,
        timeout_ms: int = 10_000,
        *,
        rebuild: bool = False,
    ) -> None:
        self.engine = engine
        self.read_engine = read_engine or engine
        #: ``rebuild``: the words this process has already recorded per tenant (a rebuild
        #: of a tenant repeats most of its words in every batch; sent once), and batches
        #: committed without waiting for the WAL flush (a crash loses the last batches of
        #: a rebuild that must be run again anyway; their old rows are still there)
        self._recorded: dict[uuid.UUID, set[str]] | None = {} if rebuild else None
        #: ``statement_timeout`` of every search statement (0: none)
        self.timeout_ms = timeout_ms
        self.parser = QueryParser(make_schema(analysed=False))
        self._extensions: set[str] | None = None

    # -- health --------------------------------------------------------------------------
    def extensions(self) -> set[str]:
        if self._extensions is None:
            with self.read_engine.connect() as conn:
                table = conn.scalar(text("SELECT to_regclass('search_documents')"))
                if table is None:
                    raise SearchDegraded(
                        "the search table is missing; an administrator must run 'akte db upgrade'"
                    )
                self._extensions = set(conn.scalars(text("SELECT extname FROM pg_extension")))
        return self._extensions

    def healthy(self) -> bool:
        try:
            self.extensions()
        except SearchDegraded:
            return False
        return True

    def outdated(self) -> bool:
        return False

    def mark_healthy(self) -> None:
        """The table is made by the migration; nothing to mark."""

    # -- writing -------------------------------------------------------------------------
    def upsert(self, docs: Iterable[IndexDoc], conn: Connection | None = None) -> int:
        if conn is None:
            with self.engine.begin() as own:
                return self.upsert(docs, own)
        words: dict[uuid.UUID, set[str]] = {}
        rows = [to_row(doc, words.setdefault(doc.tenant_id, set())) for doc in docs]
        if rows:
            self._copy(conn, rows, words)
        return len(rows)

    def _copy(
        self, conn: Connection, rows: Sequence[tuple[Any, ...]], words: dict[uuid.UUID, set[str]]
    ) -> None:
        """Analysed rows (the ``tsvector`` as literal text) straight into the table: the
        batch's old rows deleted, the new ones ``COPY``-ed in, in the caller's
        transaction (a search sees the old rows or the new ones).

        A document or note deleted meanwhile fails the ``COPY`` (foreign key); then the
        batch goes through a temporary table and one ``INSERT`` that skips rows whose
        target is gone. The direct way saves writing, reading and compressing every row
        twice (about a third of the server's CPU per row)."""
        raw = conn.connection.driver_connection
        columns = ", ".join(ROW_COLUMNS)
        with raw.cursor() as cur:
            if self._recorded is not None:
                cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute(
                "DELETE FROM search_documents WHERE doc_id = ANY(%s)", [[row[0] for row in rows]]
            )
            cur.execute("SAVEPOINT search_copy")
            try:
                with cur.copy(f"COPY search_documents ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            except psycopg.errors.ForeignKeyViolation:
                cur.execute("ROLLBACK TO SAVEPOINT search_copy")
                cur.execute(_LOAD_TABLE)
                cur.execute("TRUNCATE search_load")
                with cur.copy(f"COPY search_load ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                cur.execute(_UPSERT)
            else:
                cur.execute("RELEASE SAVEPOINT search_copy")
            # the words for typo tolerance, same transaction
            for tenant_id, tenant_words in sorted(words.items()):
                known = (
                    self._recorded.setdefault(tenant_id, set())
                    if self._recorded is not None
                    else set()
                )
                fresh = tenant_words - known
                new = sorted(filter(vocabulary_word, fresh))
                if new:
                    cur.execute(vocabulary.RECORD_WORDS, [tenant_id, new])
                if self._recorded is not None:
                    known.update(fresh)

    def delete(self, doc_ids: Iterable[uuid.UUID], conn: Connection | None = None) -> int:
        ids = list(doc_ids)
        if not ids:
            return 0
        if conn is None:
            with self.engine.begin() as own:
                return self.delete(ids, own)
        result = conn.execute(
            text("DELETE FROM search_documents WHERE doc_id = ANY(:ids)"), {"ids": ids}
        )
        return int(result.rowcount or 0)

    def rebuild(self, tenant_id: uuid.UUID, docs: Iterator[IndexDoc]) -> int:
        """Rewrites every row of the tenant, then drops the rows no document wrote.

        Searches keep answering throughout (each row is replaced in place); rows that
        index jobs write during the rebuild are newer than its start and stay."""
        with self.engine.connect() as conn:
            started = conn.scalar(text("SELECT clock_timestamp()"))
        count = 0
        batch: list[IndexDoc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= COPY_BATCH:
                count += self.upsert(batch)
                batch = []
        count += self.upsert(batch)
        with self.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM search_documents WHERE tenant_id = :t AND indexed_at < :started"),
                {"t": tenant_id, "started": started},
            )
        return count

    def drop_tenant(self, tenant_id: uuid.UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("DELETE FROM search_documents WHERE tenant_id = :t"), {"t": tenant_id}
            )
            vocabulary.drop_tenant(conn, tenant_id)

    # -- reading -------------------------------------------------------------------------
    def tenants(self) -> list[uuid.UUID]:
        with self.read_engine.connect() as conn:
            return sorted(conn.scalars(text("SELECT DISTINCT tenant_id FROM search_documents")))

    def stamps(self, tenant_id: uuid.UUID) -> dict[uuid.UUID, str]:
        with self.read_engine.connect() as conn:
            rows = conn.execute(
                text("SELECT doc_id, stamp FROM search_documents WHERE tenant_id = :t"),
                {"t": tenant_id},
            )
            return {doc_id: stamp for doc_id, stamp in rows}

    def search(self, spec: QuerySpec) -> Hits:
        tree = self.parser.parse(spec.text, expander(spec.synonyms))
        empty = Hits(total=0, hits=[], facets={name: {} for name in FACETS})
        scope = spec.scope
        if scope.empty:
            return empty
        available = self.extensions()
        fuzzy_available = {"pg_trgm", "fuzzystrmatch"} <= available
        corrections: dict[str, list[str]] = {}
        misspelt = vocabulary.fuzzy_words(tree) if fuzzy_available else {}
        if misspelt:  # words of the tenant's documents close to the misspelt ones
            with self.read_engine.connect() as conn, conn.begin():
                corrections = vocabulary.close_words(conn, scope.tenant_id, misspelt)
        compiler = Compiler(fuzzy_available=fuzzy_available, corrections=corrections)
        condition, out = compiler.compile(tree)
        params = dict(out.params)
        params.update(
            tenant=scope.tenant_id,
            units=sorted(scope.org_unit_ids),
            cases=sorted(scope.case_file_ids),
        )
        where = ["d.tenant_id = :tenant", _scope(scope.org_unit_ids, scope.case_file_ids, params)]
        for n, (name, value) in enumerate(sorted(spec.filters.items())):
            if name == "year":
                if not value.isdigit():
                    return empty
                params[f"f{n}"] = int(value)
            else:
                params[f"f{n}"] = value
            where.append(f"{_FACET_COLUMNS[name]} = :f{n}")
        rows = " AND ".join(where)  # the rows the caller may see and filtered for
        clause = f"{rows} AND {condition}"
        head = _head_query(params, out.rank) if out.rank else None
        if head is not None:
            params["head"] = head
        try:
            with self.read_engine.connect() as conn, conn.begin():
                # no parallel workers: many searches run at once on few cores, and
                # starting workers for a bitmap of a few title matches took 70 of the 95
                # ms of a tenant-wide page ("Kosten der Unterkunft", 1,000,000 documents)
                conn.exec_driver_sql(
                    "SELECT set_config('work_mem', %s, true), "
                    "set_config('statement_timeout', %s, true), "
                    "set_config('max_parallel_workers_per_gather', '0', true)",
                    (WORK_MEM, str(self.timeout_ms)),
                )
                if out.fuzzy:
                    conn.exec_driver_sql("SET LOCAL pg_trgm.word_similarity_threshold = 0.3")
                total, heads, facets = self._count(conn, clause, params, spec.facets, head)
                hits = (
                    self._page(conn, clause, rows, params, out, spec, total, heads) if total else []
                )
        except DBAPIError as exc:
            if not isinstance(exc.orig, psycopg.errors.QueryCanceled):
                raise
            raise SearchTimeout(
                f"the search took longer than {self.timeout_ms / 1000:g} s and was stopped; "
                "add a word or a filter (Dokumentart, year) and search again"
            ) from exc
        marks = _Marks(w for w in out.marks if not w.endswith("*"))
        marks.prefixes = tuple(w[:-1] for w in out.marks if w.endswith("*"))
        return Hits(
            total=min(total, COUNT_LIMIT),
            hits=hits,
            facets=facets,
            terms={("content", w) for w in out.marks} | {("marks", marks)},  # type: ignore[arg-type]
            total_is_estimate=total > COUNT_LIMIT,
        )

    def _count(
        self,
        conn: Connection,
        clause: str,
        params: dict[str, Any],
        with_facets: bool,
        head: str | None,
    ) -> tuple[int, int, dict[str, dict[str, int]]]:
        """Total, facets and how many of the counted matches have a searched word in
        ``head``, over at most ``COUNT_LIMIT + 1`` matches (a total above
        ``COUNT_LIMIT`` means "more than"). The matches come from a bitmap of the GIN
        and scope indexes: an ordered index scan would test the words on each row's
        ``tsv`` (decompressed) where the bitmap needs no test of words sent without
        weights. With the bound this small the planner takes a sequential scan for a
        word most rows contain (it stops after the first 1,001 matches); for a word
        narrowed by a date it may misjudge how soon the matches come (see
        search/README.md), which is bounded by the statement timeout. The ``head``
        share (``head`` is in the row, a few dozen bytes) tells :meth:`_candidates`
        whether the title matches are common enough to be found walking newest first."""
        params = {**params, "count_limit": COUNT_LIMIT + 1, "counted": COUNT_LIMIT}
        conn.exec_driver_sql(
            "SELECT set_config('enable_indexscan', 'off', true), "
            "set_config('cpu_operator_cost', %s, true)",
            (COUNT_OPERATOR_COST,),
        )
        has_head = "d.head @@ CAST(:head AS tsquery)" if head is not None else "false"
        matches = (
            "SELECT d.doc_type, d.year, d.source, d.case_status, "
            f"row_number() OVER () AS n, {has_head} AS h FROM search_documents d "
            f"WHERE {clause} LIMIT :count_limit"
        )
        heads = "count(*) FILTER (WHERE d.h AND d.n <= :counted)"
        if not with_facets:
            total, head_count = conn.execute(
                text(f"SELECT count(*), {heads} FROM ({matches}) d"), params
            ).one()
            conn.exec_driver_sql(_PLANNER_DEFAULTS)
            return int(total or 0), int(head_count or 0), {}
        sql = (
            "SELECT GROUPING(coalesce(d.doc_type, ''), d.year, d.source, d.case_status), "
            "coalesce(d.doc_type, ''), d.year, d.source, d.case_status, count(*), "
            f"count(*) FILTER (WHERE d.n <= :counted), {heads} "
            f"FROM ({matches}) d GROUP BY GROUPING SETS "
            "((coalesce(d.doc_type, '')), (d.year), (d.source), (d.case_status), ())"
        )
        counts: dict[str, dict[str, int]] = {name: {} for name in FACETS}
        total = head_count = 0
        for bits, doc_type, year, source, status, n, counted, with_head in conn.execute(
            text(sql), params
        ):
            if bits == 15:
                total, head_count = int(n), int(with_head)
                continue
            n = counted  # a facet counts the first COUNT_LIMIT matches only
            name = next(k for k, v in _FACET_BITS.items() if v == bits)
            value = {"doc_type": doc_type, "year": year, "source": source, "case_status": status}[
                name
            ]
            if value not in (None, "") and n:
                counts[name][str(value)] = int(n)
        conn.exec_driver_sql(_PLANNER_DEFAULTS)
        facets = {
            name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))
            for name, c in counts.items()
        }
        return total, head_count, facets

    def _page(
        self,
        conn: Connection,
        clause: str,
        rows: str,
        params: dict[str, Any],
        out: Any,
        spec: QuerySpec,
        total: int,
        heads: int,
    ) -> list[Hit]:
        score = ["0"]
        if out.rank:
            score.append(f"ts_rank('{RANK_WEIGHTS}', d.tsv, {out.rank}, 1)")
        if out.idents:
            params["idents"] = out.idents
            score.append(
                f"CASE WHEN d.idents && CAST(:idents AS text[]) THEN {IDENT_BONUS} ELSE 0 END"
            )
        for n, word in enumerate(out.fuzzy):
            params[f"fz{n}"] = word
            score.append(
                f"{FUZZY_BONUS} * word_similarity(akte_fold(:fz{n}), d.names)"
                if "pg_trgm" in self.extensions()
                else "0"
            )
        order = (
            "d.sort_date DESC, d.doc_id"
            if spec.sort == "date"
            else "score DESC, d.sort_date DESC, d.doc_id"
        )
        params.update(limit=spec.size, offset=(spec.page - 1) * spec.size)
        source = f"search_documents d WHERE {clause}"
        if spec.sort != "date" and out.rank and total > RANK_CANDIDATES:
            walk = self._walk(conn, clause, rows, params, total, heads)
            source = self._candidates(clause, rows, params, walk)
        sql = (
            f"SELECT {_RESULT}, ({' + '.join(score)}) AS score FROM {source} "
            f"ORDER BY {order} LIMIT :limit OFFSET :offset"
        )
        hits = []
        for row in conn.execute(text(sql), params):
            hits.append(
                Hit(
                    doc_id=row.doc_id,
                    case_file_id=row.case_file_id,
                    score=float(row.score),
                    stored={
                        "title": row.title,
                        "doc_type": row.doc_type,
                        "source": row.source,
                        "aktenzeichen": row.aktenzeichen,
                        "person_name": row.person_name,
                        "case_status": row.case_status,
                        "document_date": row.document_date,
                        "received_at": row.received_at,
                    },
                )
            )
        return hits

    def _walk(
        self,
        conn: Connection,
        clause: str,
        rows: str,
        params: dict[str, Any],
        total: int,
        heads: int,
    ) -> bool:
        """Whether the newest title matches are dense enough among the caller's newest
        rows to be walked for (:meth:`_candidates`): at least ``RANK_CANDIDATES`` in
        ``WALK_ROWS``. First from the count (the share of counted matches with the word
        in ``head``: the density cannot be higher), then from the newest
        ``PROBE_ROWS`` rows themselves (``head`` tested first, the query only where it
        holds): a Dokumentart whose every match has a rare second word
        (``art:Lohnabrechnung Pflegedienst``, 1.8 % of the rows) walked 10,000 rows for
        205 and then read the bitmap anyway."""
        if heads * WALK_ROWS < RANK_CANDIDATES * min(total, COUNT_LIMIT):
            return False
        found = conn.scalar(
            text(f"SELECT count(*) FROM {_newest_head_matches(rows, clause, 'probe_rows')}"),
            {**params, "probe_rows": PROBE_ROWS},
        )
        return int(found or 0) * WALK_ROWS >= RANK_CANDIDATES * PROBE_ROWS

    def _candidates(self, clause: str, rows: str, params: dict[str, Any], walk: bool) -> str:
        """The rows a large result's relevance page is ranked from (``FROM`` text): the
        newest matches with a searched word in ``head`` (title, Dokumentart, name,
        identifiers: weights A and B, which rank highest) and the newest matches of all,
        each up to ``RANK_CANDIDATES``. Rows written by the previous release before
        migration 0941 filled ``head`` have it; a ``NULL`` head only drops the row
        from the first set.

        The first set is found one of two ways, the same rows either way. ``walk`` (many
        of the counted matches have the word in ``head``, e.g. ``Nebenkost*``: every
        Nebenkostenabrechnung): the caller's newest ``WALK_ROWS`` rows, newest first,
        ``head`` tested on each (in the row) before the query (``tsv``, decompressed),
        until enough are found; only if the walk ends short are they taken from the
        head's GIN bitmap after all. Otherwise the bitmap at once: a rare title word
        would walk the whole scope (``Miete`` tenant-wide at 1,000,000 documents: 3.8
        s), while the bitmap sorted every one of 111,121 title matches of
        ``Nebenkost*`` and tested the query on each (777 ms)."""
        params.update(candidates=RANK_CANDIDATES, walk_rows=WALK_ROWS)
        bitmap = (
            f"SELECT d.doc_id FROM search_documents d WHERE {clause} "
            "AND d.head @@ CAST(:head AS tsquery) "
            # not the scope index's order: walking it would test each row's tsv until
            # enough head matches turned up; the head's GIN bitmap finds them directly
            "ORDER BY d.sort_date + interval '0 s' DESC LIMIT :candidates"
        )
        newest = (
            f"SELECT d.doc_id FROM search_documents d WHERE {clause} "
            "ORDER BY d.sort_date DESC LIMIT :candidates"
        )
        if not walk:
            return f"search_documents d WHERE d.doc_id IN (({bitmap}) UNION ALL ({newest}))"
        walked = (
            f"SELECT d.doc_id, d.sort_date FROM {_newest_head_matches(rows, clause, 'walk_rows')} "
            "ORDER BY d.sort_date DESC LIMIT :candidates"
        )
        return (
            "search_documents d WHERE d.doc_id IN ("
            f"WITH walked AS MATERIALIZED ({walked}) "
            "SELECT doc_id FROM walked UNION ALL "
            f"(SELECT b.doc_id FROM ({bitmap}) b "
            "WHERE (SELECT count(*) FROM walked) < :candidates) "
            f"UNION ALL ({newest}))"
        )

    def snippet(self, hits: Hits, text: str, max_chars: int = 300) -> str:
        marks = next((t for f, t in hits.terms if f == "marks"), frozenset())
        return make_snippet(text, marks, _stemmer.stem, max_chars)

    def close(self) -> None:
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def _scope(units: frozenset[uuid.UUID], cases: frozenset[uuid.UUID], params: dict[str, Any]) -> str:
    """The caller's rows beside the tenant: org units or granted Akten. One org unit
    is an equality, so the scope index ``(tenant_id, org_unit_id, sort_date)`` gives
    its rows newest first; an ``OR`` with an empty list of Akten made the newest
    matches of one unit a walk through the whole tenant's rows (ten times as many)."""
    if len(units) == 1 and not cases:
        params["unit"] = next(iter(units))
        return "d.org_unit_id = :unit"
    if not cases:
        return "d.org_unit_id = ANY(CAST(:units AS uuid[]))"
    if not units:
        return "d.case_file_id = ANY(CAST(:cases AS uuid[]))"
    return (
        "(d.org_unit_id = ANY(CAST(:units AS uuid[])) "
        "OR d.case_file_id = ANY(CAST(:cases AS uuid[])))"
    )


def _newest_head_matches(rows: str, clause: str, limit: str) -> str:
    """``FROM`` text: the matches with a searched word in ``head`` among the caller's
    newest ``:limit`` rows — one definition for the walk and the probe that decides on
    it, so the probe measures the density the walk will meet."""
    return (
        "(SELECT * FROM search_documents d "
        f"WHERE {rows} ORDER BY d.sort_date DESC LIMIT :{limit}) d "
        # head first: PostgreSQL keeps the order of equally cheap conditions
        f"WHERE d.head @@ CAST(:head AS tsquery) AND {clause}"
    )


def _head_query(params: dict[str, Any], rank: str) -> str:
    """The searched words (the ``ts_rank`` query's parameters) without weights, OR-ed:
    the test of ``head`` for the candidates' first set."""
    return " | ".join(
        "(" + unweight(value) + ")" for key, value in params.items() if key in _rank_params(rank)
    )


def _rank_params(rank: str) -> set[str]:
    """The parameter names in the ``ts_rank`` query expression (``:p4``, ``:p5``)."""
    return set(re.findall(r":(p\d+)", rank))
