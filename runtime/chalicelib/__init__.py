"""The social platform's runtime library: one package per domain, ``core`` for what they share."""
