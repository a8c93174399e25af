"""What every domain shares: settings, errors, the route layer, declarations."""
