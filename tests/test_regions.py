"""User regions: extraction, splicing, and the digest that tells hand edits from user code."""

from __future__ import annotations

import pytest

from keraslayer_gen.files import header, regions

FILE = """\
# klgen-digest: 0
class A:
    def call(self, inputs):
        # klgen: begin user region `call`
        outputs = inputs
        # klgen: end user region `call`
        return outputs
"""


def test_extract_dedents_region_code() -> None:
    assert regions.extract(FILE) == {"call": "outputs = inputs"}


def test_splice_reindents_and_keeps_user_code_verbatim() -> None:
    user = "x = inputs * 2  # my comment\n\nif x is None:\n    x = 1\noutputs = x"
    spliced = regions.splice(FILE, {"call": user})
    assert (
        "        x = inputs * 2  # my comment\n\n        if x is None:\n            x = 1\n"
        in spliced
    )
    assert regions.extract(spliced) == {"call": user}


def test_digest_ignores_regions_but_not_the_rest() -> None:
    stamped = header.stamp(FILE)
    assert header.recorded_digest(stamped) == header.digest(stamped)
    edited_inside = regions.splice(stamped, {"call": "outputs = inputs + 1"})
    assert header.digest(edited_inside) == header.recorded_digest(stamped)
    edited_outside = stamped.replace("return outputs", "return outputs * 2")
    assert header.digest(edited_outside) != header.recorded_digest(stamped)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# klgen: begin user region `a`\n", "has no end marker"),
        ("# klgen: end user region `a`\n", "without its begin"),
        (
            "# klgen: begin user region `a`\n# klgen: begin user region `b`\n",
            "begins inside region `a`",
        ),
    ],
)
def test_broken_markers_are_reported(text: str, message: str) -> None:
    with pytest.raises(regions.RegionError, match=message):
        regions.extract(text)
