"""Routes about the API itself: health and the OpenAPI document."""
