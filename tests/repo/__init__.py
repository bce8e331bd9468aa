"""End-to-end tests of klgen in temporary git repositories."""
