"""Hypothesis profiles of the hardening tests: `ci` (the default) and `dev`.

`dev` skips shrinking, which on a failure of these slow examples can take minutes; use it
while iterating: `pytest tests/hardening --hypothesis-profile=dev`.
"""

from __future__ import annotations

from hypothesis import Phase, settings

settings.register_profile("ci", print_blob=True)
settings.register_profile(
    "dev", phases=[Phase.explicit, Phase.reuse, Phase.generate], print_blob=True
)
settings.load_profile("ci")
