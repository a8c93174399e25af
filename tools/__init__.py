"""Developer tools of the repository (run as modules: ``python -m tools.plan``)."""
