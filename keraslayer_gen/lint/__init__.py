"""The static contract lint: the driver, the module model, and the checks by id.

Its public surface: `lint_file(path)` and `lint_source(text, filename)` return `LintIssue`s
and raise `LintError`; `CHECKS` are the check ids, in docs/contract.md order.
"""

from keraslayer_gen.lint.base import LintIssue
from keraslayer_gen.lint.driver import CHECKS, lint_file, lint_source
from keraslayer_gen.lint.module import LintError

__all__ = ["CHECKS", "LintError", "LintIssue", "lint_file", "lint_source"]
