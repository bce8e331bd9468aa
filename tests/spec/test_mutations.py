"""Seeded mutations of the catalogue specs: whatever the damage, loading raises nothing but
`SpecError`, and every diagnostic points inside the file. (Such mutations found the
crashes on an unknown arg type used by a weight, and on deep nesting.)"""

from __future__ import annotations

import random

import pytest

from keraslayer_gen import api
from keraslayer_gen.errors import SpecError
from keraslayer_gen.spec.load import load_spec_text

#: Fragments that break specs in the ways people and tools do.
FRAGMENTS = [
    "",
    " ",
    ":",
    "-",
    "[",
    "]",
    "{",
    "}",
    "|",
    ">",
    "'",
    '"',
    "\\",
    "\t",
    "\n",
    "null",
    "true",
    "1",
    "-1",
    "0.5",
    "x",
    "self.x",
    "inputs",
    "#",
    "&a",
    "*a",
    "!!str",
    "!!python/name:os.system",
    "é",
    "input_shape[-1]",
    "mask",
    "training",
    "(",
    ")",
    "outputs =",
    "keras.random.uniform(ops.shape(inputs))",
    "lambda",
    "name",
    "Dense",
    "int | None",
    "float",
    "range",
    "[1, inf)",
    "(0",
    "\x00",
    "\ufeff",
    "[" * 400,
]


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        roll = rng.random()
        if roll < 0.3 and len(lines) > 1:
            del lines[i]
        elif roll < 0.5:
            lines.insert(i, lines[rng.randrange(len(lines))])
        else:
            line = lines[i]
            start = rng.randint(0, len(line))
            end = min(len(line), start + rng.randint(0, 6))
            lines[i] = line[:start] + rng.choice(FRAGMENTS) + line[end:]
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(4))
def test_damaged_specs_give_located_diagnostics_only(seed: int) -> None:
    rng = random.Random(seed)
    texts = [api.example_text(name) for name in api.example_names()]
    refused = 0
    for _ in range(150):
        text = _mutate(rng, rng.choice(texts))
        try:
            load_spec_text(text, "m.klgen.yaml")
        except SpecError as exc:
            refused += 1
            assert exc.diagnostics, text
            last_line = len(text.lstrip("\ufeff").splitlines()) + 1
            for d in exc.diagnostics:
                assert d.source == "m.klgen.yaml" and d.message, (d, text)
                assert 1 <= d.line <= last_line and d.col >= 1, (d, text)
    assert refused > 100  # the mutations do damage
