"""What the commands do, as library calls: new, sync, check, exports, init, templates,
config.
"""
