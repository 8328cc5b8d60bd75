"""Sphinx configuration of the tripleo-ffu release notes."""

project = 'tripleo-ffu release notes'
copyright = '2026, tripleo-ffu developers'
extensions = ['reno.sphinxext']
master_doc = 'index'
html_theme = 'alabaster'
