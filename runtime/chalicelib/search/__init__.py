"""Search: posts, people and hashtags, indexed from the tables' streams (a port with two backends)."""
