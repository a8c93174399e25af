"""The Mastodon face: Mastodon's client API (``/api/v1``, ``/api/v2``, ``/oauth``) over the platform's domain code.

``routing`` (the router every route of the face goes through), ``scopes``, ``oauth`` (apps, codes, tokens),
``entities`` (Mastodon's JSON entities from the platform's records); route modules end in ``_routes``.
"""
