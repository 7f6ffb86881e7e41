"""Upload codes and what citizens hand in with them.

A caseworker issues a code for one Akte and prints it on a letter; a citizen redeems it
in the portal and uploads files, which land unfiled in the Posteingang with a receipt
(Eingangsbestätigung). ``service`` issues, lists, revokes and redeems codes (guessing is
rate-limited by ``ratelimit``); ``intake`` stores a citizen's files; ``status`` tells the
citizen what became of them. The portal pages (``akte.web.routes_portal``) are only the
browser's edge of this package.
"""
