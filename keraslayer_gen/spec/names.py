"""Identifiers: case conversion, the names a layer may not use, and how a field path is
spelt (`examples[0].init`)."""

from __future__ import annotations

import builtins
import difflib
import keyword
import re
import sys
from collections.abc import Iterable

from keraslayer_gen.spec.registry import PASCAL_PATTERN, SNAKE_PATTERN

_PASCAL = re.compile(PASCAL_PATTERN)
_SNAKE = re.compile(SNAKE_PATTERN)

#: Attributes and methods of `keras.layers.Layer` (Keras 3 and tf-keras) that an
#: argument, a weight or a seed generator must not overwrite: assigning them breaks
#: the layer in subtle ways. `tests/spec/test_naming_keras.py` checks them against the
#: installed Keras.
LAYER_ATTRIBUTES = (
    frozenset("""
    activity_regularizer add_loss add_metric add_update add_variable add_weight
    autocast build build_from_config built call call_signature_parameters
    compute_dtype compute_mask compute_output_shape compute_output_signature
    compute_output_spec count_params dtype dtype_policy dynamic finalize_state
    from_config get_build_config get_config get_input_at get_input_mask_at
    get_input_shape_at get_output_at get_output_mask_at get_output_shape_at
    get_weights inbound_nodes input input_dtype input_mask input_shape input_spec
    load_own_variables losses metrics metrics_variables name name_scope
    non_trainable_variables non_trainable_weights outbound_nodes output output_mask
    output_shape path quantization_mode quantize quantized_build quantized_call
    rematerialized_call save_own_variables seed_generators set_weights stateful
    stateless_call submodules supports_jit supports_masking symbolic_call trainable
    trainable_variables trainable_weights updates variable_dtype variables weights
    with_name_scope
    """.split())
    | frozenset(
        # On the torch backend a Keras layer is also a `torch.nn.Module`: a spec that names an
        # argument `parameters`, `to` or `modules` would break the layer there only.
        """
    T_destination add_module apply bfloat16 buffers call_super_init children compile cpu
    cuda double dump_patches eval extra_repr float forward get_buffer get_extra_state
    get_parameter get_submodule half ipu load_state_dict modules mtia named_buffers
    named_children named_modules named_parameters parameters register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook
    register_full_backward_hook register_full_backward_pre_hook
    register_load_state_dict_post_hook register_load_state_dict_pre_hook register_module
    register_parameter register_state_dict_post_hook register_state_dict_pre_hook
    requires_grad_ set_extra_state set_submodule share_memory state_dict to to_empty
    torch_params train training type xpu zero_grad
    """.split()
    )
)

#: `keras.layers` names, for the shadowing check; kept here so that the generation
#: path never imports Keras. `tests/spec/test_naming_keras.py` fails when Keras grows.
KERAS_LAYER_NAMES = frozenset("""
    Activation ActivityRegularization AdaptiveAveragePooling1D
    AdaptiveAveragePooling2D AdaptiveAveragePooling3D AdaptiveMaxPooling1D
    AdaptiveMaxPooling2D AdaptiveMaxPooling3D Add AdditiveAttention AlphaDropout
    Attention AugMix AutoContrast Average AveragePooling1D AveragePooling2D
    AveragePooling3D AvgPool1D AvgPool2D AvgPool3D BatchNormalization Bidirectional
    CategoryEncoding CenterCrop Concatenate
    ContrastLimitedAdaptiveHistogramEqualization Conv1D Conv1DTranspose Conv2D
    Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D
    Convolution1D Convolution1DTranspose Convolution2D Convolution2DTranspose
    Convolution3D Convolution3DTranspose Cropping1D Cropping2D Cropping3D CutMix
    Dense DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout EinsumDense ELU
    Embedding Equalization Flatten FlaxLayer GaussianDropout GaussianNoise
    GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D
    GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D GlobalMaxPool2D
    GlobalMaxPool3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D
    GroupNormalization GroupQueryAttention GRU GRUCell HashedCrossing Hashing
    Identity Input InputLayer InputSpec IntegerLookup JaxLayer Lambda Layer
    LayerNormalization LeakyReLU LSTM LSTMCell Masking Maximum MaxNumBoundingBoxes
    MaxPool1D MaxPool2D MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D
    MelSpectrogram Minimum MixUp MultiHeadAttention Multiply Normalization Permute
    Pipeline PReLU RandAugment RandomBrightness RandomColorDegeneration
    RandomColorJitter RandomContrast RandomCrop RandomElasticTransform RandomErasing
    RandomFlip RandomGaussianBlur RandomGrayscale RandomHue RandomInvert
    RandomPerspective RandomPosterization RandomRotation RandomSaturation
    RandomSharpness RandomShear RandomTranslation RandomZoom ReLU RepeatVector
    Rescaling Reshape Resizing ReversibleEmbedding RMSNormalization RNN
    SeparableConv1D SeparableConv2D SeparableConvolution1D SeparableConvolution2D
    SimpleRNN SimpleRNNCell Softmax Solarization SpatialDropout1D SpatialDropout2D
    SpatialDropout3D SpectralNormalization StackedRNNCells STFTSpectrogram
    StringLookup Subtract TextVectorization TFSMLayer TimeDistributed
    TorchModuleWrapper UnitNormalization UpSampling1D UpSampling2D UpSampling3D
    Wrapper ZeroPadding1D ZeroPadding2D ZeroPadding3D
    """.split())

BUILTIN_NAMES = frozenset(dir(builtins))

#: Names PEP 8 and ruff (E741) reject: they read as 1 and 0.
AMBIGUOUS_NAMES = frozenset({"l", "O", "I"})

#: Modules the generated layer and test import: a layer module of the same name would
#: shadow them where it is imported as a top-level module (`klgen new --out DIR`).
IMPORTED_MODULES = frozenset(
    {"keras", "tensorflow", "tf_keras", "numpy", "pytest", "jax", "torch"}
)

#: Python's standard library, and the few test modules of CPython that import sorters
#: (ruff's isort) also file with it. A layer module of such a name is imported instead of
#: it, or it instead of the layer, wherever the layer is a top-level module (`--out DIR`).
STDLIB_MODULES = frozenset(sys.stdlib_module_names) | {
    "xx",
    "xxlimited",
    "xxlimited_35",
    "xxsubtype",
}


def snake_case(name: str) -> str:
    """`DecayingDropout` -> `decaying_dropout`; `GRUCell` -> `gru_cell`."""
    name = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return name.lower()


def pascal_case(name: str) -> str:
    """`decaying-dropout` or `decaying_dropout` -> `DecayingDropout`."""
    return "".join(
        part[:1].upper() + part[1:] for part in re.split(r"[-_\s]+", name) if part
    )


def is_pascal(name: str) -> bool:
    return bool(_PASCAL.match(name))


def is_snake(name: str) -> bool:
    return bool(_SNAKE.match(name))


def identifier_problem(name: str) -> str | None:
    """Why `name` cannot be a Python name of the generated code, or None."""
    if not name.isidentifier():
        return f"`{name}` is not a Python identifier"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        return f"`{name}` is a Python keyword"
    if name in BUILTIN_NAMES:
        return f"`{name}` shadows the Python builtin `{name}`"
    return None


def did_you_mean(word: str, choices: object) -> str:
    """` (did you mean `x`?)` for the closest of `choices`, or an empty string."""
    found = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.6)  # type: ignore[attr-defined]
    return f" (did you mean `{found[0]}`?)" if found else ""


def dotted(path: Iterable[str | int]) -> str:
    """`("examples", 0, "init")` -> `examples[0].init`."""
    out = ""
    for part in path:
        out += (
            f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        )
    return out
