"""The lint checks, one module per check id."""
