"""The peer layers `klgen verify` is run on, each with the contract its documentation
gives, and the confirmed defects a check may fail on.

Keys are `klgen verify` targets; values use the keys of a corpus `CASE["expect"]` (see
`tests.corpus`). Nothing here imports Keras or the peers.
"""

from __future__ import annotations

from typing import Any

#: target -> expectations, as a user would declare them to `klgen verify`.
PEER_LAYERS: dict[str, dict[str, Any]] = {
    # --- Keras's own layers ---------------------------------------------------------
    "keras.layers:Dense": {
        "input_shape": (3, 5),
        "init": {"units": 4},
        "output_shape": (3, 4),
        # Dense.call takes `training` (for LoRA/quantization) but does not depend on it.
        "training": False,
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "keras.layers:Dropout": {
        "input_shape": (3, 6, 4),
        "init": {"rate": 0.5, "seed": 1},
        "training": True,
        "stochastic": True,
        "masking": "propagate",
        "mask": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 1,
    },
    "keras.layers:BatchNormalization": {
        "input_shape": (3, 6, 4),
        "init": {},
        "training": True,
        "stochastic": False,
        "state": ("moving_mean", "moving_variance"),
        # call(inputs, training=None, mask=None): masked steps are left out of the
        # batch statistics, and the mask passes through.
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 2,
        "seed_generators": 0,
    },
    "keras.layers:GroupNormalization": {
        "input_shape": (3, 6, 4),
        "init": {"groups": 2},
        "training": False,
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "keras.layers:GlobalAveragePooling1D": {
        "input_shape": (3, 6, 4),
        "init": {},
        "output_shape": (3, 4),
        "training": False,
        "masking": "consume",
        "mask": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "keras.layers:Masking": {
        "input_shape": (3, 6, 4),
        "init": {"mask_value": 0.0},
        "training": False,
        "masking": "custom",
        "mask": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
    "keras.layers:LayerNormalization": {
        "input_shape": (3, 6, 4),
        "init": {},
        "training": False,
        "masking": "propagate",
        "mask": True,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 4),
    },
    "keras.layers:GaussianNoise": {
        "input_shape": (3, 6, 4),
        "init": {"stddev": 0.5, "seed": 1},
        "training": True,
        "stochastic": True,
        # declared without a mask: the declared policy brings masked examples itself
        "masking": "propagate",
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 1,
        "output_shape": (3, 6, 4),
    },
    "keras.layers:Conv1D": {
        "input_shape": (3, 6, 4),
        "init": {"filters": 5, "kernel_size": 3},
        "training": False,
        "masking": "none",
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4, 5),
    },
    "keras.layers:Conv2D": {
        "input_shape": (3, 6, 6, 2),
        "init": {"filters": 3, "kernel_size": 2},
        "training": False,
        "masking": "none",
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 5, 5, 3),
    },
    "keras.layers:EinsumDense": {
        # the sequence projection of its documentation: compute_output_shape answers
        # (batch, None, 5), a None size `shapes` reads as unknown, as Keras does
        "input_shape": (3, 6, 4),
        "init": {
            "equation": "abc,cd->abd",
            "output_shape": [None, 5],
            "bias_axes": "d",
        },
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 5),
    },
    "keras.layers:PReLU": {
        "input_shape": (3, 5),
        "init": {},
        "training": False,
        "masking": "propagate",
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 5),
    },
    "keras.layers:UnitNormalization": {
        "input_shape": (3, 6, 4),
        "init": {},
        "training": False,
        "masking": "propagate",
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 4),
    },
    "keras.layers:SpatialDropout1D": {
        "input_shape": (3, 6, 4),
        "init": {"rate": 0.5, "seed": 1},
        "training": True,
        "stochastic": True,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 1,
        "output_shape": (3, 6, 4),
    },
    # --- keras-hub ------------------------------------------------------------------
    "keras_hub.layers:SinePositionEncoding": {
        "input_shape": (3, 6, 8),
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_hub.layers:PositionEmbedding": {
        "input_shape": (3, 6, 8),
        "init": {"sequence_length": 6},
        "training": False,
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_hub.layers:RotaryEmbedding": {
        "input_shape": (3, 6, 8),
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_hub.layers:FNetEncoder": {
        "input_shape": (3, 6, 8),
        "init": {"intermediate_dim": 16},
        "training": False,
        "non_trainable": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_hub.layers:TransformerEncoder": {
        "input_shape": (3, 6, 8),
        "init": {"intermediate_dim": 16, "num_heads": 2},
        "training": False,
        "non_trainable": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_hub.layers:TokenAndPositionEmbedding": {
        "input_shape": (3, 6),
        "dtype": "int32",
        "init": {"vocabulary_size": 10, "sequence_length": 6, "embedding_dim": 8},
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_hub.layers:ReversibleEmbedding": {
        "input_shape": (3, 6),
        "dtype": "int32",
        "init": {"input_dim": 10, "output_dim": 8},
        "training": False,
        "trainable": 1,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 8),
    },
    # --- keras-rs -------------------------------------------------------------------
    "keras_rs.layers:FeatureCross": {
        "input_shape": (3, 8),
        "init": {},
        "training": False,
        "trainable": 2,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 8),
    },
    # --- several inputs, call arguments (`--inputs`, `--call-args`) ---------------------
    "keras.layers:Add": {
        "inputs": ("[[3, 5], [3, 5]]",),
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 5),
    },
    "keras.layers:Concatenate": {
        "inputs": ("[[3, 5], [3, 4]]",),
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 9),
    },
    "keras.layers:Attention": {
        "inputs": ("[[3, 4, 8], [3, 6, 8]]",),
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4, 8),
    },
    "keras.layers:MultiHeadAttention": {
        # a padding mask on each tensor: Keras fills query_mask and value_mask
        "inputs": (
            '{"query": {"shape": [3, 4, 8], "mask": true}, '
            '"value": {"shape": [3, 6, 8], "mask": true}}',
        ),
        "init": {"num_heads": 2, "key_dim": 4},
        "masking": "use",
        "training": False,
        "trainable": 8,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 4, 8),
    },
    "keras_hub.layers:TransformerDecoder": {
        # call takes no `mask` argument: it reads the padding mask Keras attaches to
        # each sequence (`_keras_mask`), and the decoder's mask passes on
        "inputs": (
            '{"decoder_sequence": {"shape": [3, 4, 8], "mask": true}, '
            '"encoder_sequence": {"shape": [3, 6, 8], "mask": true}}',
        ),
        "init": {"intermediate_dim": 16, "num_heads": 2},
        "masking": "use",
        "training": False,
        "non_trainable": 0,
        "output_shape": (3, 4, 8),
    },
    # the module that defines it (so the static checks read it), with a call argument
    "keras_hub.src.layers.modeling.rotary_embedding:RotaryEmbedding": {
        "inputs": ("[3, 6, 8]",),
        "call_args": '{"start_index": 2}',
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
        "output_shape": (3, 6, 8),
    },
    "keras_rs.layers:DotInteraction": {
        "inputs": ("[[3, 4], [3, 4], [3, 4]]",),
        "init": {},
        "training": False,
        "trainable": 0,
        "non_trainable": 0,
        "seed_generators": 0,
    },
}

#: target -> {check: words its failure message must contain}: confirmed defects only,
#: each with its consequence shown by a `backend` test.
PEER_KNOWN: dict[str, dict[str, tuple[str, ...]]] = {
    # supports_masking is True, but the group statistics include the padded steps:
    # tests/test_peers.py::test_group_normalization_counts_padded_steps.
    "keras.layers:GroupNormalization": {"masking": ("masked positions",)},
    # build() creates its Dense but does not build it:
    # tests/test_peer_verify.py::test_feature_cross_build_leaves_its_dense_unbuilt.
    "keras_rs.layers:FeatureCross": {"build": ("build the sub-layers in build",)},
}
