"""Notifications: domain events become per-recipient notifications (grouped where Mastodon groups them),
stored newest first, read over REST, and published on the notifications topic for the delivery channels."""
