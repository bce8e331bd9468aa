"""The golden folders are records, not tests: pytest does not collect them.

Their `test_<module>.py` files import Keras (or tf_keras) and a top-level `<module>`; the
generated test files run, per backend, in subprocesses of `tests/runtime/test_generated_tests.py`
and `tests/tf_keras/test_generated_tests.py`.
"""

collect_ignore = ["keras3", "tf_keras"]
