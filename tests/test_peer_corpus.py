"""The peer corpus: klgen lint on real Keras 3 layers it did not write — Keras's own
`keras/src/layers`, keras-hub and keras-rs, as installed (the `test` extra pins them) —
and the consequence of each kind of finding, shown with the real classes.

`test_lint_findings_on_peers_are_the_known_defects` reads every module of the three
packages that defines a Layer subclass (text only, no import) and requires the findings
to be exactly `PEER_FINDINGS`: a new finding is most likely a false alarm of the lint, a
vanished one a lost check. Each finding has a kind, and each kind a `backend` test below
that imports the real class and shows what breaks (the from_config that fails, the
argument a reloaded layer loses, the dtype mixed precision silently drops, the fit that
fails on JAX). docs/peers.md is the table, one row per finding.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path

import pytest

from keraslayer_gen.lint.driver import lint_file
from keraslayer_gen.lint.module import layer_classes, parse_module

#: (package, folder inside it) whose every layer module is linted.
PEERS = (("keras", "src/layers"), ("keras_hub", "src"), ("keras_rs", "src"))
#: The versions the findings are those of (the `test` extra in pyproject.toml).
VERSIONS = {"keras": "3.15.", "keras-hub": "0.32.", "keras-rs": "0.4."}

#: What each kind of finding breaks, and the test below that shows it.
KINDS = {
    "default-lost": (
        "get_config leaves out an argument with a default: from_config and load_model "
        "rebuild the layer with the default instead of the value it was created with",
        "test_an_argument_left_out_of_get_config_comes_back_as_its_default",
    ),
    "required-missing": (
        "get_config leaves out a required argument: from_config and load_model raise "
        "TypeError (missing required positional argument)",
        "test_a_required_argument_left_out_of_get_config_breaks_from_config",
    ),
    "no-kwargs": (
        "__init__ takes no **kwargs: dtype= and trainable= are refused, and from_config "
        "of the automatic config (which holds them) raises TypeError",
        "test_a_layer_without_kwargs_refuses_the_base_arguments",
    ),
    "kwargs-dropped": (
        "**kwargs accepted but not passed to the base layer: trainable=False is silently "
        "ignored",
        "test_kwargs_not_passed_on_are_silently_ignored",
    ),
    "training-true": (
        "call defaults training to True: called without `training`, its random layers "
        "run at inference",
        "test_a_training_true_default_runs_the_training_path",
    ),
    "sublayer-dtype": (
        "a sub-layer created without dtype=: Layer(dtype='mixed_float16') still computes "
        "that sub-layer in float32",
        "test_a_sub_layer_without_dtype_loses_mixed_precision",
    ),
    "unseeded-random": (
        "keras.random without a seed generator: fit fails on JAX (an unseeded random op "
        "inside the traced train step)",
        "test_unseeded_random_fails_fit_on_jax",
    ),
}

#: (module, class, check, kind) of every finding, the module relative to its package.
PEER_FINDINGS = {
    (
        "keras/attention/grouped_query_attention.py",
        "GroupedQueryAttention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras/attention/multi_head_attention.py",
        "MultiHeadAttention",
        "config-complete",
        "default-lost",
    ),
    ("keras/core/input_layer.py", "InputLayer", "structure", "kwargs-dropped"),
    ("keras/preprocessing/feature_space.py", "FeatureSpace", "structure", "no-kwargs"),
    (
        "keras/preprocessing/hashed_crossing.py",
        "HashedCrossing",
        "structure",
        "kwargs-dropped",
    ),
    (
        "keras/preprocessing/index_lookup.py",
        "IndexLookup",
        "structure",
        "kwargs-dropped",
    ),
    ("keras/preprocessing/pipeline.py", "Pipeline", "structure", "no-kwargs"),
    ("keras/preprocessing/pipeline.py", "Pipeline", "structure", "training-true"),
    (
        "keras_hub/layers/modeling/rms_normalization.py",
        "RMSNormalization",
        "structure",
        "no-kwargs",
    ),
    (
        "keras_hub/models/clip/clip_layers.py",
        "CLIPVisionEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/deeplab_v3/deeplab_v3_layers.py",
        "SpatialPyramidPooling",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/deit/deit_layers.py",
        "DeiTEmbeddings",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/depth_anything/depth_anything_layers.py",
        "DepthAnythingTokenToImage",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/depth_anything/depth_anything_layers.py",
        "DepthAnythingReassembleLayer",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/depth_anything/depth_anything_layers.py",
        "DepthAnythingPreActResidualLayer",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/depth_anything/depth_anything_layers.py",
        "DepthAnythingFeatureFusionLayer",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/depth_anything/depth_anything_layers.py",
        "DepthAnythingNeck",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/depth_anything/depth_anything_layers.py",
        "DepthAnythingDepthEstimationHead",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov2/dinov2_layers.py",
        "DINOV2PatchEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov2/dinov2_layers.py",
        "DINOV2Embedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov2/dinov2_layers.py",
        "DINOV2DropPath",
        "state-hygiene",
        "unseeded-random",
    ),
    (
        "keras_hub/models/dinov3/dinov3_layers.py",
        "DINOV3PatchEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov3/dinov3_layers.py",
        "DINOV3Embedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov3/dinov3_layers.py",
        "DINOV3RopePositionEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov3/dinov3_layers.py",
        "DINOV3Attention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/dinov3/dinov3_layers.py",
        "DINOV3DropPath",
        "state-hygiene",
        "unseeded-random",
    ),
    (
        "keras_hub/models/efficientnet/cba.py",
        "CBABlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/efficientnet/fusedmbconv.py",
        "FusedMBConvBlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/efficientnet/mbconv.py",
        "MBConvBlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    ("keras_hub/models/flux/flux_layers.py", "QKNorm", "structure", "no-kwargs"),
    (
        "keras_hub/models/flux/flux_maths.py",
        "FluxRoPEAttention",
        "structure",
        "no-kwargs",
    ),
    (
        "keras_hub/models/gemma/gemma_decoder_block.py",
        "GemmaDecoderBlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/gemma3/gemma3_decoder_block.py",
        "Gemma3DecoderBlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/gemma4/gemma4_attention.py",
        "Gemma4TextAttention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/gemma4/gemma4_attention.py",
        "Gemma4VisionAttention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/gemma4/gemma4_decoder_block.py",
        "Gemma4TextDecoderBlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/gemma4/gemma4_decoder_block.py",
        "Gemma4VisionDecoderBlock",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/gemma4/gemma4_decoder_block.py",
        "Gemma4VisionDecoderBlock",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/gemma4/gemma4_vision_encoder.py",
        "Gemma4VisionAveragePooling",
        "config-complete",
        "required-missing",
    ),
    (
        "keras_hub/models/llama/llama_attention.py",
        "LlamaAttention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/llama/llama_decoder.py",
        "LlamaTransformerDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/metaclip_2/metaclip_2_layers.py",
        "MetaCLIP2VisionEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/mit/mit_layers.py",
        "OverlappingPatchingAndEmbedding",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/mit/mit_layers.py",
        "HierarchicalTransformerEncoder",
        "state-hygiene",
        "sublayer-dtype",
    ),
    ("keras_hub/models/mit/mit_layers.py", "MixFFN", "structure", "no-kwargs"),
    (
        "keras_hub/models/mit/mit_layers.py",
        "SegFormerMultiheadAttention",
        "structure",
        "no-kwargs",
    ),
    (
        "keras_hub/models/mixtral/mixtral_decoder.py",
        "MixtralTransformerDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/mobilenetv5/mobilenetv5_layers.py",
        "DropPath",
        "state-hygiene",
        "unseeded-random",
    ),
    (
        "keras_hub/models/qwen/qwen_decoder.py",
        "QwenTransformerDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/qwen3/qwen3_attention.py",
        "Qwen3Attention",
        "config-complete",
        "required-missing",
    ),
    (
        "keras_hub/models/qwen3/qwen3_attention.py",
        "Qwen3Attention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/qwen3/qwen3_decoder.py",
        "Qwen3TransformerDecoder",
        "config-complete",
        "required-missing",
    ),
    (
        "keras_hub/models/qwen3/qwen3_decoder.py",
        "Qwen3TransformerDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/qwen3/qwen3_layernorm.py",
        "Qwen3LayerNorm",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/qwen_moe/qwen_moe_decoder.py",
        "QwenMoeTransformerDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/retinanet/feature_pyramid.py",
        "FeaturePyramid",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/retinanet/prediction_head.py",
        "PredictionHead",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/roformer_v2/roformer_v2_attention.py",
        "RoformrPositionalEmbedding",
        "config-complete",
        "required-missing",
    ),
    (
        "keras_hub/models/rqvae/rqvae_layers.py",
        "Encoder",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/rqvae/rqvae_layers.py",
        "Decoder",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/sam/sam_prompt_encoder.py",
        "SAMPromptEncoder",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/sam3/sam3_layers.py",
        "SAM3PatchEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/sam3/sam3_layers.py",
        "SAM3Embedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/sam3/sam3_mask_decoder.py",
        "SAM3PixelDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/sam3/sam3_mask_decoder.py",
        "SAM3MaskDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/siglip/siglip_layers.py",
        "SigLIPVisionEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/smollm3/smollm3_layers.py",
        "SmolLM3Attention",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/smollm3/smollm3_layers.py",
        "SmolLM3MLP",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/smollm3/smollm3_layers.py",
        "SmolLM3DecoderLayer",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/swin_transformer/swin_transformer_layers.py",
        "SwinTransformerBlock",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/t5gemma2/t5gemma2_decoder.py",
        "T5Gemma2DecoderLayer",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/t5gemma2/t5gemma2_encoder.py",
        "T5Gemma2EncoderLayer",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/vae/vae_layers.py",
        "Conv2DMultiHeadAttention",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/vae/vae_layers.py",
        "VAEEncoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/vae/vae_layers.py",
        "VAEDecoder",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/vae/vae_layers.py",
        "DiagonalGaussianDistributionSampler",
        "config-complete",
        "required-missing",
    ),
    (
        "keras_hub/models/video_prism/video_prism_layers.py",
        "VideoPrismFactorizedReshape",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/vit/vit_layers.py",
        "ViTPatchingAndEmbedding",
        "config-complete",
        "default-lost",
    ),
    (
        "keras_hub/models/vit_det/vit_layers.py",
        "MLP",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/vit_det/vit_layers.py",
        "MultiHeadAttentionWithRelativePE",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/vit_det/vit_layers.py",
        "WindowedTransformerEncoder",
        "state-hygiene",
        "sublayer-dtype",
    ),
    (
        "keras_hub/models/vit_det/vit_layers.py",
        "ViTDetPatchingAndEmbedding",
        "state-hygiene",
        "sublayer-dtype",
    ),
}


def _root(package: str, folder: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / folder
    return root if root.is_dir() else None


def _versions_match() -> bool:
    try:
        return all(
            importlib.metadata.version(name).startswith(prefix)
            for name, prefix in VERSIONS.items()
        )
    except importlib.metadata.PackageNotFoundError:
        return False


def lint_peers() -> tuple[set[tuple[str, str, str, str]], int, int]:
    """(the findings as in PEER_FINDINGS, layer modules read, layer classes found)."""
    found: set[tuple[str, str, str, str]] = set()
    modules = classes = 0
    for package, folder in PEERS:
        root = _root(package, folder)
        assert root is not None, f"{package} is not installed"
        for path in sorted(root.rglob("*.py")):
            if path.name.endswith("_test.py"):
                continue
            module = parse_module(path.read_text(encoding="utf-8"), str(path))
            count = len(layer_classes(module))
            if not count:
                continue
            modules, classes = modules + 1, classes + count
            relative = f"{package}/{path.relative_to(root).as_posix()}"
            for issue in lint_file(path):
                found.add(
                    (relative, issue.class_name, issue.check, _kind(issue.message))
                )
    return found, modules, classes


def _kind(message: str) -> str:
    for words, kind in (
        ("with a default", "default-lost"),
        ("required __init__", "required-missing"),
        ("takes no **kwargs", "no-kwargs"),
        ("does not pass **", "kwargs-dropped"),
        ("defaults training to True", "training-true"),
        ("without dtype=", "sublayer-dtype"),
        ("without seed=", "unseeded-random"),
    ):
        if words in message:
            return kind
    return f"new: {message}"


needs_peers = pytest.mark.skipif(
    not _versions_match(),
    reason="the findings are those of keras 3.15, keras-hub 0.32 and keras-rs 0.4",
)


@pytest.mark.slow
@needs_peers
def test_lint_findings_on_peers_are_the_known_defects() -> None:
    found, modules, classes = lint_peers()
    assert modules > 200 and classes > 400, (modules, classes)
    new = sorted(found - PEER_FINDINGS)
    gone = sorted(PEER_FINDINGS - found)
    assert not new, f"findings that are most likely false alarms: {new}"
    assert not gone, f"findings the lint no longer makes: {gone}"


def test_every_kind_has_its_consequence_test() -> None:
    kinds = {kind for *_, kind in PEER_FINDINGS}
    assert kinds <= set(KINDS)
    for _, test_name in KINDS.values():
        assert callable(globals().get(test_name)), test_name


# --- the consequences, with the real classes ------------------------------------------


@pytest.fixture
def keras():  # type: ignore[no-untyped-def]
    return pytest.importorskip("keras")


def _hub():  # type: ignore[no-untyped-def]
    if not _versions_match():
        pytest.skip("keras-hub 0.32 is not installed")
    return pytest.importorskip("keras_hub")


@pytest.mark.backend
def test_an_argument_left_out_of_get_config_comes_back_as_its_default(keras) -> None:  # type: ignore[no-untyped-def]
    layer = keras.layers.MultiHeadAttention(
        num_heads=2, key_dim=4, flash_attention=True
    )
    assert layer._flash_attention is True
    again = keras.layers.MultiHeadAttention.from_config(layer.get_config())
    assert again._flash_attention is not True  # back to None: the global setting
    _hub()
    from keras_hub.src.models.dinov2.dinov2_layers import DINOV2PatchEmbedding

    other = (
        "channels_first"
        if keras.config.image_data_format() == "channels_last"
        else ("channels_last")
    )
    patches = DINOV2PatchEmbedding(hidden_dim=8, patch_size=2, data_format=other)
    reloaded = DINOV2PatchEmbedding.from_config(patches.get_config())
    assert patches.data_format == other and reloaded.data_format != other


@pytest.mark.backend
def test_a_required_argument_left_out_of_get_config_breaks_from_config(keras) -> None:  # type: ignore[no-untyped-def]
    _hub()
    from keras_hub.src.models.roformer_v2.roformer_v2_attention import (
        RoformrPositionalEmbedding,
    )
    from keras_hub.src.models.vae.vae_layers import DiagonalGaussianDistributionSampler

    sampler = DiagonalGaussianDistributionSampler(method="mode")
    with pytest.raises(TypeError, match="method"):
        DiagonalGaussianDistributionSampler.from_config(sampler.get_config())
    # This one writes `out_dim` instead: its get_config itself raises.
    with pytest.raises(AttributeError, match="out_dim"):
        RoformrPositionalEmbedding(output_dim=8).get_config()


@pytest.mark.backend
def test_a_layer_without_kwargs_refuses_the_base_arguments(keras) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match="dtype"):
        keras.layers.Pipeline([keras.layers.Identity()], dtype="float64")
    _hub()
    from keras_hub.src.layers.modeling.rms_normalization import RMSNormalization

    layer = RMSNormalization(input_dim=4)
    with pytest.raises(TypeError, match="trainable|dtype"):
        RMSNormalization.from_config(layer.get_config())


@pytest.mark.backend
def test_kwargs_not_passed_on_are_silently_ignored(keras) -> None:  # type: ignore[no-untyped-def]
    assert (
        keras.layers.StringLookup(vocabulary=["a"], trainable=False).trainable is True
    )
    assert keras.layers.InputLayer(shape=(3,), trainable=False).trainable is True
    if keras.backend.backend() == "tensorflow":  # HashedCrossing needs TensorFlow
        assert (
            keras.layers.HashedCrossing(num_bins=4, trainable=False).trainable is True
        )


@pytest.mark.backend
def test_a_training_true_default_runs_the_training_path(keras) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    x = np.ones((2, 4), "float32")
    noise = keras.layers.GaussianNoise(1.0, seed=1)
    assert np.array_equal(keras.ops.convert_to_numpy(noise(x)), x)  # alone: inference
    pipeline = keras.layers.Pipeline([keras.layers.GaussianNoise(1.0, seed=1)])
    assert not np.array_equal(keras.ops.convert_to_numpy(pipeline(x)), x)


@pytest.mark.backend
def test_a_sub_layer_without_dtype_loses_mixed_precision(keras) -> None:  # type: ignore[no-untyped-def]
    _hub()
    from keras_hub.src.models.gemma.gemma_decoder_block import GemmaDecoderBlock

    block = GemmaDecoderBlock(
        hidden_dim=8,
        intermediate_dim=16,
        head_dim=4,
        num_query_heads=2,
        num_key_value_heads=1,
        dropout=0.1,
        dtype="mixed_float16",
    )
    assert block.compute_dtype == "float16"
    assert block.attention_dropout.compute_dtype == "float32"


@pytest.mark.backend
def test_unseeded_random_fails_fit_on_jax(keras) -> None:  # type: ignore[no-untyped-def]
    import numpy as np

    _hub()
    if keras.backend.backend() != "jax":
        pytest.skip("an unseeded random op fails inside JAX's traced train step only")
    from keras_hub.src.models.dinov2.dinov2_layers import DINOV2DropPath

    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(4), DINOV2DropPath(0.5)]
    )
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((8, 4), "float32")
    with pytest.raises(Exception, match="seed"):
        model.fit(x, x, epochs=1, verbose=0)


def test_the_table_lists_every_finding() -> None:
    """docs/peers.md has one row per finding: `| `Class` | `module` | check: `kind` |`."""
    docs = Path(__file__).resolve().parents[1] / "docs" / "peers.md"
    rows = set()
    for line in docs.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and ": `" in line and cells[1].endswith(".py"):
            check, kind = (part.strip().strip("`") for part in cells[2].split(":", 1))
            rows.add((cells[1], cells[0], check, kind))
    assert rows == PEER_FINDINGS
