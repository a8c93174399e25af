"""Posts, likes and comments."""
