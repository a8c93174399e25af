"""Users: profiles and, later, the social graph."""
