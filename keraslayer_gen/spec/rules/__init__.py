"""Cross-field rules of a spec, by field group; all problems at once."""
