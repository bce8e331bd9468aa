"""The lint checks, one module per check id, each with `register(registry)`.

The driver imports every module of this package and calls its `register`
(`keraslayer_gen.lint.driver.discover`): a new check is a new module here.
"""
