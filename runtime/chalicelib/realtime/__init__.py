"""Real time: WebSocket connections, pushes to connected users, and direct messages."""
