"""Which Keras backends verify runs on: requested, configured, or installed.

Detection uses `importlib.util.find_spec` only: the parent process never imports a backend.
"""

from __future__ import annotations

from importlib.util import find_spec

from keraslayer_gen.errors import KlgenError
from keraslayer_gen.spec.names import did_you_mean

BACKENDS = ("tensorflow", "jax", "torch")
#: What people call the backends, for a did-you-mean (never accepted silently: the names
#: are KERAS_BACKEND's).
_ALIASES = {
    "tf": "tensorflow",
    "tensorflow-cpu": "tensorflow",
    "pytorch": "torch",
    "pt": "torch",
    "th": "torch",
    "jaxlib": "jax",
    "flax": "jax",
}


def is_installed(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def missing_message(backend: str, target: str = "keras3") -> str | None:
    """Why `backend` cannot run here (naming the extra to install), or None if it can."""
    if target == "tf-keras":
        if backend != "tensorflow":
            return (
                f"tf-keras layers run on TensorFlow only, not {backend}; use --backend "
                "tensorflow"
            )
        for module in ("tensorflow", "tf_keras"):
            if not is_installed(module):
                return (
                    f"{module} is not installed: pip install 'keraslayer-gen[tf-keras]'"
                )
        return None
    if not is_installed(backend):
        return (
            f"the {backend} backend is not installed: pip install "
            f"'keraslayer-gen[{backend}]'"
        )
    if not is_installed("keras"):
        return f"Keras is not installed: pip install 'keraslayer-gen[{backend}]'"
    return None


def installed_backends(target: str = "keras3") -> list[str]:
    return [b for b in BACKENDS if missing_message(b, target) is None]


def resolve_backends(
    requested: list[str] | None,
    configured: list[str] | None = None,
    target: str = "keras3",
) -> list[str]:
    """`--backend` wins, then `[tool.klgen].backends`, then every installed backend. A named
    backend that is unknown or not installed raises `KlgenError` with what to install.
    """
    names = requested or configured
    source = "--backend" if requested else "[tool.klgen].backends"
    if not names:
        found = installed_backends(target)
        if target == "tf-keras":
            found = [b for b in found if b == "tensorflow"]
        if not found:
            extra = "tf-keras" if target == "tf-keras" else "tensorflow"
            raise KlgenError(
                f"no Keras backend is installed: pip install "
                f"'keraslayer-gen[{extra}]' (or [jax], [torch])"
            )
        return found
    chosen: list[str] = []
    for name in names:
        if name not in BACKENDS:
            hint = (
                f" (did you mean `{_ALIASES[name.lower()]}`?)"
                if name.lower() in _ALIASES
                else did_you_mean(name, BACKENDS)
            )
            raise KlgenError(
                f"{source}: unknown backend `{name}`{hint}; backends are "
                f"{', '.join(BACKENDS)}"
            )
        problem = missing_message(name, target)
        if problem is not None:
            raise KlgenError(f"{source} {name}: {problem}")
        if name not in chosen:
            chosen.append(name)
    return chosen
