"""The generated-file protocol: header and digest, user regions, the plan of a run and its
atomic write, post hooks, the repository layout and its inventory.
"""
