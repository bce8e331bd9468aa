"""pytest collects the Keras 3 golden test files, but not the tf-keras ones.

Both folders hold a `test_<module>.py` that imports a top-level `<module>`, so one process can
import only one folder's; the tf-keras test files run in their own subprocess instead
(`tests/tf_keras/test_generated_tests.py`).
"""

collect_ignore = ["keras3", "tf_keras"]
