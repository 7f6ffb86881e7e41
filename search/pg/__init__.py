"""The PostgreSQL search engine: the index is a table in akte's own database.

``rows`` turns an :class:`~search.backend.IndexDoc` into a ``search_documents`` row (the
same German analysis as the Whoosh engine, done in Python), ``compile`` turns a parsed
query into SQL, ``backend`` runs it within the caller's scope, ``service`` keeps the
table in step with the documents. No host keeps state: every ``api`` and ``worker``
reads and writes the same table.
"""
