"""Sphinx configuration of the tripleo-ffu documentation."""

project = 'tripleo-ffu'
copyright = '2026, tripleo-ffu developers'
extensions = []
master_doc = 'index'
exclude_patterns = []
html_theme = 'alabaster'
