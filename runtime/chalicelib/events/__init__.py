"""Domain events: what users did, read from the tables' streams and published on one topic."""
