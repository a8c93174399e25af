"""Integrations: API keys an admin makes for partners, metered by the stack's usage plan, and CORS for third-party
browser clients.

``keys`` holds the rules (plain Python), ``plan`` the API Gateway calls, ``routes`` the admin routes and the
key-required read-only routes partners call, ``cors`` the configured origins' headers.
"""
