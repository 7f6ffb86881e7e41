"""Deliveries (Lieferungen): bulk import of scanning contractors' batches.

A delivery is a manifest (one row per document), a Transfervermerk (the TR-RESISCAN scan
protocol) and the scanned files. It is driven over the importer API (create, upload,
commit, progress, report) or by an operator with ``akte import PATH --tenant T``. Both paths
run the same per-document checks (:mod:`.checks`) and the same import step
(:mod:`.importer`), which hands each file to :mod:`akte.documents.intake`. A box file
(several rows, one scan) is cut by :mod:`.boxes` only when its separator sheets or page
ranges agree exactly with its rows; otherwise none of it is filed.

Every delivery row (a :class:`~.models.DeliveryItem`) ends with its own outcome and reason;
one bad row never sinks the delivery. A document is imported at most once per tenant for a
given external id and content hash (:class:`~.models.ImportedDocument` enforces it in the
database), so interrupted imports can simply be re-run.
"""
