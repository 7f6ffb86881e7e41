"""Push providers: print-and-mail services whose API expects the sender to upload.

akte's own contract print shop pulls sealed batches (:mod:`outbox.provider`). Most
commercial providers work the other way round: the sender uploads each letter and asks
(or is told) how far it got. A tenant with ``push_provider`` in its outbox settings gets
both from the same sealed batch:

1. **Seal** as always (:mod:`outbox.batching`). A batch of a product the configured
   provider offers is marked ``push_provider`` and an ``outbox.push_batch`` job is written
   in the same transaction; the pull API no longer lists it.
2. **Upload** (:func:`outbox.push.service.push_batch`): the letters' PDFs, checked against
   their recorded SHA-256, go to the provider in chunks; each accepted letter gets an
   ``outbox_push_items`` row with the provider's id. When all are accepted, the batch and
   its letters are ``handed_over`` exactly as after a pull provider's ``ack``.
3. **Status** (:func:`outbox.push.service.poll_batch`, the ``outbox.push_poll`` job, every
   ``poll_seconds`` while letters are open): the provider's states are translated by the
   adapter into the reports a pull provider would send (``printed``, ``posted`` with the
   date and tracking number, ``delivered``, ``returned``, ``rejected`` with reason code)
   and applied through :func:`outbox.provider.apply_report`: the same checks, the same
   life cycle, the same legal delivery date. A report the status model refuses (a
   contradiction) is kept on the push item (``last_error``), never half-applied.

Adapters implement :class:`outbox.push.base.PushAdapter`; a provider that calls back
(webhooks) hands its parsed payload to :func:`outbox.push.service.apply_states`, the same
entry point polling uses. Shipped: :mod:`outbox.push.epost` (Deutsche Post
E-POSTBUSINESS API).
"""
