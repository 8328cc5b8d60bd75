"""Fast-forward upgrade commands for TripleO overclouds."""
