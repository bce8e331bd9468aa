"""The runtime checks (4-14): each module declares its checks with
`keraslayer_gen.harness.registry.runtime_check`; importing this package imports them all.

A runner takes the worker's `Session` and returns its notes. Adding a runtime check is a
new function (in a module here, or a new module) plus its section in docs/contract.md.
"""

from __future__ import annotations

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
