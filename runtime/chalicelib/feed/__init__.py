"""The home feed: timelines written on post (fan-out), merged with celebrities' posts on read."""
