"""The keras-hub trial of docs/adopt.md: `klgen adopt` (dry run) over the installed
keras-hub's layers and models, counted by status and by refusal reason.

    .venv/bin/python -m tests.adopt.keras_hub_trial [--prove BACKEND] [--json OUT]

Static (no Keras import) unless `--prove`: then each class adopted statically is also run
side by side with its regenerated class on BACKEND, on the inferred example, as
`adopt --write` would (a class counts as adopted faithfully when every check passes).
Not a test: it reads whatever keras-hub is installed and takes minutes.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from keraslayer_gen.adopt.plan import REFUSED, adopt_file
from keraslayer_gen.errors import KlgenError

from .sources import write_project

#: Specifics (names, expressions, counts) taken out of a reason, to count kinds of reason.
_SPECIFICS = [
    (re.compile(r"`[^`]*`"), "`…`"),
    (re.compile(r"'[^']*'"), "'…'"),
    (re.compile(r"\b\d+\b"), "N"),
    (re.compile(r"\(\w+(\.\w+)*\)"), "(…)"),  # the dotted path of an import
]


def reason_kind(reason: str) -> str:
    """`file:line: Class: reason` -> the reason with its specifics left out."""
    text = reason.split(": ", 2)[-1] if reason.count(": ") >= 2 else reason
    text = text.split(": the spec read from it does not load: ", 1)[-1]
    if ".klgen.yaml:" in text:
        text = "spec does not load: " + text.split(".klgen.yaml:", 1)[1].split(":")[0]
    for pattern, repl in _SPECIFICS:
        text = pattern.sub(repl, text)
    return text.strip()


def trial(root: Path, prove_on: str | None = None) -> dict[str, Any]:
    files = sorted(
        p
        for folder in ("layers", "models")
        for p in (root / folder).rglob("*.py")
        if not p.name.endswith("_test.py") and p.name != "__init__.py"
    )
    statuses: collections.Counter[str] = collections.Counter()
    reasons: collections.Counter[str] = collections.Counter()
    adopted: list[str] = []
    proven: dict[str, list[str]] = {}
    classes = 0
    scratch = Path(tempfile.mkdtemp(prefix="klgen-trial-"))
    for path in files:
        # each file adopted in a scratch repository of its own, as a user's layer
        # would be (the installed package's folders are no klgen layout)
        module = path.stem
        layers = write_project(scratch / str(len(list(scratch.iterdir()))), {})
        copy = layers / f"{module}.py"
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        try:
            results = adopt_file(copy)
        except (KlgenError, SyntaxError):
            continue
        for result in results:
            classes += 1
            statuses[result.status] += 1
            if result.status == REFUSED:
                for kind in sorted({reason_kind(r) for r in result.reasons}):
                    reasons[kind] += 1
                continue
            name = f"{path.relative_to(root)}:{result.adoption.class_name}"
            adopted.append(name)
            if prove_on:
                proven[name] = [str(c) for c in _prove(result, prove_on) if not c.ok]
    return {
        "files": len(files),
        "classes": classes,
        "statuses": dict(statuses),
        "reasons": reasons.most_common(),
        "adopted": adopted,
        "failed_checks": proven,
    }


def _prove(result: Any, backend: str) -> list[Any]:
    from keraslayer_gen.adopt.equivalence import prove

    spec = result.spec
    with tempfile.TemporaryDirectory(prefix="klgen-trial-") as tmp:
        return prove(
            result.path,
            result.layer_text,
            spec.name,
            [e.model_dump(mode="json") for e in spec.examples],
            backends=[backend],
            target=spec.target,
            masking=spec.masking,
            training=spec.training,
            inputs=(
                {n: d.model_dump(mode="json") for n, d in spec.inputs.items()}
                if spec.inputs
                else None
            ),
            input_list=spec.input_list,
            workdir=Path(tmp),
        )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prove", metavar="BACKEND")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    found = importlib.util.find_spec("keras_hub")
    if found is None or not found.submodule_search_locations:
        print("keras-hub is not installed", file=sys.stderr)
        return 2
    root = Path(list(found.submodule_search_locations)[0]) / "src"
    report = trial(root, args.prove)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"{report['files']} files, {report['classes']} layer classes")
    for status, count in sorted(report["statuses"].items()):
        print(f"  {status}: {count}")
    print("top refusal reasons (a class counts once per kind of reason):")
    for kind, count in report["reasons"][: args.top]:
        print(f"  {count:4d}  {kind}")
    for name in report["adopted"]:
        failed = report["failed_checks"].get(name)
        mark = (
            ""
            if failed is None
            else (" FAIL " + "; ".join(failed) if failed else " equivalent")
        )
        print(f"  adopted: {name}{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
