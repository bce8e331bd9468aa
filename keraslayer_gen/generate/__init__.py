"""Spec -> formatted file texts, without touching the disk: context, docstring, Jinja
environment, overlays, template errors and black.
"""
