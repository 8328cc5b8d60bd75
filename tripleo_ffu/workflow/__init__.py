"""The steps of a fast-forward upgrade, one module per concern."""
