"""The browser side of akte: the caseworkers' workspace and the citizens' upload portal.

Pages are rendered on the server (Jinja2, autoescaped) and work without JavaScript; a small
script adds per-file upload progress. Two kinds of browser sessions exist and never mix:

* staff sessions (cookie ``akte_web``): a random token whose SHA-256 is kept in
  ``web_sessions`` so logout and deactivation take effect at once;
* citizen sessions (cookie ``akte_citizen``): a signed, short-lived token bound to one upload
  code; it opens the upload into that code's Akte and nothing else.

Every form carries a CSRF token (see :mod:`akte.web.csrf`).
"""
