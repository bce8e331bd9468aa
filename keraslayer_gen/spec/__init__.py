"""The spec format: the model, names, flags, YAML loading and dumping, the JSON Schema, rules.

Imports only `keraslayer_gen.errors`; nothing here imports Keras, Jinja or black.
"""
