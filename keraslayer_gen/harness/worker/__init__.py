"""Worker side of the harness: runs in the backend process that imports Keras."""
