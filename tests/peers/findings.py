"""How to build each class `klgen lint` reports on the peer corpus, and the value that
shows an argument lost by `get_config`.

`ARGS[class]` holds the constructor arguments (a small, valid configuration) of every class
of `tests.test_peer_corpus.PEER_FINDINGS`; a callable takes the `keras` module and returns
them (for arguments that are Keras objects). `BUILD[class]` is the input shape to build
with, for the classes that create their sub-layers in `build`. `OTHER[argument]` is a
value, not the default, for each argument a finding says `get_config` leaves out.
Nothing here imports Keras or the peers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_DECODER = {"intermediate_dim": 16, "num_query_heads": 2, "num_key_value_heads": 1}
_GEMMA = {**_DECODER, "hidden_dim": 8, "head_dim": 4, "dropout": 0.1}
_T5GEMMA2 = {
    "hidden_size": 8,
    "rms_norm_eps": 1e-6,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "query_pre_attn_scalar": 4,
    "attention_bias": False,
    "intermediate_size": 16,
    "hidden_activation": "gelu_approximate",
    "dropout_rate": 0.0,
    "head_dim": 4,
    "initializer_range": 0.02,
    "attention_dropout": 0.0,
    "layer_type": "full_attention",
}
_SMOL_ATTENTION = {
    "hidden_size": 8,
    "num_attention_heads": 2,
    "num_key_value_heads": 1,
    "attention_bias": False,
    "attention_dropout": 0.0,
    "rope_layer_enabled_list": [True],
    "layer_types": ["full_attention"],
    "layer_idx": 0,
}
_PATCHES = {"hidden_dim": 8, "patch_size": 2}

ARGS: dict[str, dict[str, Any] | Callable[[Any], dict[str, Any]]] = {
    # keras/src/layers
    "GroupedQueryAttention": {
        "head_dim": 4,
        "num_query_heads": 2,
        "num_key_value_heads": 1,
    },
    "MultiHeadAttention": {"num_heads": 2, "key_dim": 4},
    "InputLayer": {"shape": (3,)},
    "FeatureSpace": {"features": {"a": "float"}},
    "HashedCrossing": {"num_bins": 4},
    "IndexLookup": {
        "max_tokens": None,
        "num_oov_indices": 1,
        "mask_token": None,
        "oov_token": "[UNK]",
        "vocabulary_dtype": "string",
        "vocabulary": ["a", "b"],
    },
    "Pipeline": lambda keras: {"layers": [keras.layers.Identity()]},
    # keras_hub
    "RMSNormalization": {"input_dim": 8},
    "CLIPVisionEmbedding": {**_PATCHES, "image_size": 4},
    "SpatialPyramidPooling": {"dilation_rates": [1, 2]},
    "DeiTEmbeddings": {"hidden_dim": 8, "patch_size": (2, 2), "image_size": (4, 4)},
    "DepthAnythingTokenToImage": {"hidden_dim": 8, "patch_height": 2, "patch_width": 2},
    "DepthAnythingReassembleLayer": {"hidden_dim": 8, "factor": 2},
    "DepthAnythingPreActResidualLayer": {"hidden_dim": 8},
    "DepthAnythingFeatureFusionLayer": {"hidden_dim": 8, "size": (4, 4)},
    "DepthAnythingNeck": {
        "patch_size": 2,
        "image_size": (4, 4),
        "backbone_hidden_dim": 8,
        "neck_hidden_dims": [4, 4, 4, 4],
        "reassemble_factors": [4, 2, 1, 0.5],
        "fusion_hidden_dim": 8,
    },
    "DepthAnythingDepthEstimationHead": {
        "patch_size": 2,
        "patch_height": 2,
        "patch_width": 2,
        "fusion_hidden_dim": 8,
        "head_hidden_dim": 4,
        "head_in_index": -1,
    },
    "DINOV2PatchEmbedding": dict(_PATCHES),
    "DINOV2Embedding": {**_PATCHES, "image_shape": (4, 4, 3)},
    "DINOV2DropPath": {"rate": 0.5},
    "DINOV3PatchEmbedding": dict(_PATCHES),
    "DINOV3Embedding": dict(_PATCHES),
    "DINOV3RopePositionEmbedding": {
        **_PATCHES,
        "num_heads": 2,
        "rope_theta": 100.0,
    },
    "DINOV3Attention": {"hidden_dim": 8, "num_heads": 2},
    "DINOV3DropPath": {"rate": 0.5},
    "CBABlock": {"input_filters": 4, "output_filters": 4},
    "FusedMBConvBlock": {"input_filters": 4, "output_filters": 4},
    "MBConvBlock": {"input_filters": 4, "output_filters": 4},
    "QKNorm": {"input_dim": 8},
    "FluxRoPEAttention": {},
    "GemmaDecoderBlock": dict(_GEMMA),
    "Gemma3DecoderBlock": dict(_GEMMA),
    "Gemma4TextAttention": {
        "head_dim": 4,
        "num_query_heads": 2,
        "num_key_value_heads": 1,
    },
    "Gemma4VisionAttention": {
        "head_dim": 4,
        "num_query_heads": 2,
        "num_key_value_heads": 1,
    },
    "Gemma4TextDecoderBlock": dict(_GEMMA),
    "Gemma4VisionDecoderBlock": dict(_GEMMA),
    "Gemma4VisionAveragePooling": {"image_size": 8, "patch_size": 2, "pool_size": 2},
    "LlamaAttention": {"num_query_heads": 2, "num_key_value_heads": 1},
    "LlamaTransformerDecoder": dict(_DECODER),
    "MetaCLIP2VisionEmbedding": {**_PATCHES, "image_size": 4},
    "OverlappingPatchingAndEmbedding": {},
    "HierarchicalTransformerEncoder": {"project_dim": 8, "num_heads": 2},
    "MixFFN": {"channels": 8, "mid_channels": 16},
    "SegFormerMultiheadAttention": {"project_dim": 8, "num_heads": 2, "sr_ratio": 1},
    "MixtralTransformerDecoder": {**_DECODER, "num_experts": 2},
    "DropPath": {"drop_prob": 0.5},
    "QwenTransformerDecoder": dict(_DECODER),
    "Qwen3Attention": {"num_query_heads": 2, "num_key_value_heads": 1, "head_dim": 4},
    "Qwen3TransformerDecoder": {**_DECODER, "head_dim": 4},
    "Qwen3LayerNorm": {},
    "QwenMoeTransformerDecoder": {
        **_DECODER,
        "moe_intermediate_dim": 8,
        "shared_expert_intermediate_dim": 8,
        "num_experts": 2,
        "top_k": 1,
        "norm_top_k_prob": False,
        "decoder_sparse_step": 1,
    },
    "FeaturePyramid": {
        "min_level": 3,
        "max_level": 4,
        "use_p5": False,
        "use_batch_norm": True,
        "data_format": "channels_last",
    },
    "PredictionHead": {"output_filters": 4, "num_filters": 4, "num_conv_layers": 1},
    "RoformrPositionalEmbedding": {"output_dim": 8},
    "Encoder": {"layer_dims": [8], "output_dim": 4},
    "Decoder": {"layer_dims": [8], "output_dim": 4},
    "SAMPromptEncoder": {},
    "SAM3PatchEmbedding": dict(_PATCHES),
    "SAM3Embedding": {**_PATCHES, "image_shape": (4, 4, 3)},
    "SAM3PixelDecoder": {"num_upsampling_stages": 1, "hidden_dim": 8},
    "SAM3MaskDecoder": {"num_upsampling_stages": 1, "hidden_dim": 8, "num_heads": 2},
    "SigLIPVisionEmbedding": {**_PATCHES, "image_size": 4},
    "SmolLM3Attention": dict(_SMOL_ATTENTION),
    "SmolLM3MLP": {"hidden_size": 8, "intermediate_size": 16, "mlp_bias": False},
    "SmolLM3DecoderLayer": {
        **_SMOL_ATTENTION,
        "intermediate_size": 16,
        "mlp_bias": False,
        "layer_norm_epsilon": 1e-6,
    },
    "SwinTransformerBlock": {"dim": 8, "input_resolution": (4, 4), "num_heads": 2},
    "T5Gemma2DecoderLayer": dict(_T5GEMMA2),
    "T5Gemma2EncoderLayer": dict(_T5GEMMA2),
    "Conv2DMultiHeadAttention": {"filters": 8},
    "VAEEncoder": {"stackwise_num_filters": [4], "stackwise_num_blocks": [1]},
    "VAEDecoder": {"stackwise_num_filters": [4], "stackwise_num_blocks": [1]},
    "DiagonalGaussianDistributionSampler": {"method": "mode"},
    "VideoPrismFactorizedReshape": {"image_shape": (4, 4)},
    "ViTPatchingAndEmbedding": {
        "image_size": (4, 4),
        "patch_size": (2, 2),
        "hidden_dim": 8,
    },
    "MLP": {"intermediate_dim": 16, "hidden_dim": 8},
    "MultiHeadAttentionWithRelativePE": {"num_heads": 2, "key_dim": 4},
    "WindowedTransformerEncoder": {
        "project_dim": 8,
        "intermediate_dim": 16,
        "num_heads": 2,
    },
    "ViTDetPatchingAndEmbedding": {},
}

#: class -> what to pass to `build` (an input shape, batch first), for the classes that
#: create their sub-layers in `build`.
BUILD: dict[str, Any] = {
    "SpatialPyramidPooling": (None, 8, 8, 4),
    "FeaturePyramid": {"P3": (None, 8, 8, 4), "P4": (None, 4, 4, 4)},
}

#: argument -> a value other than its default, for the `default-lost` findings.
OTHER: dict[str, Any] = {
    "flash_attention": True,
    "data_format": "channels_first",
    "use_query_bias": False,
    "use_clipped_linears": False,
    "use_patch_bias": False,
    "kernel_initializer": "zeros",
    "rope_position_scaling_factor": 2.0,
    "rope_scaling_factor": 2.0,
    "output_router_logits": True,
    "use_sliding_window_attention": True,
    "layer_norm_epsilon": 1e-3,
    "sliding_window_size": 16,
    "head_dim": 4,
    "activation": "relu",
    "drop_path": 0.1,
}
