"""The Posteingang: documents received but not yet filed (citizen uploads first of all).

Filing gives an item its Dokumentart and title and takes it into its Akte; rejecting keeps
it (what was received is retained) but takes it out of the Posteingang with a reason. The
JSON API (``/api/v1/inbox…``) and the staff pages call the same service.
"""
