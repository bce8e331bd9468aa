"""Small layers that are right, for tests/test_verify_calibration.py: each is a pattern
`klgen verify` once raised a false alarm on (issue 14). Not corpus cases (no `CASE`):
they have no bug, only a shape the harness must not mistake for one. Every layer takes
no required argument and runs on a `(batch, 5)` float input.
"""

import keras
from keras import ops

PACKAGE = "klgen_corpus._calibration"


@keras.saving.register_keras_serializable(package=PACKAGE)
class CastToFloat32(keras.layers.Layer):
    """Rescales and returns float32 whatever the policy: its purpose is the dtype (a
    loss head under mixed precision). `--output-dtype float32` declares it."""

    def call(self, inputs):
        return ops.cast(inputs, "float32") * 0.5

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="float32")


@keras.saving.register_keras_serializable(package=PACKAGE)
class TwinScales(keras.layers.Layer):
    """Two unnamed weights of one shape: Keras names them `variable`, `variable_1` in
    one instance and other numbers in the next; build must compare them by order,
    shape, dtype and trainability."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.shift = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, inputs):
        return inputs * self.scale + self.shift

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package=PACKAGE)
class NoOutputShape(keras.layers.Layer):
    """Sums pairs of features, without compute_output_shape: Keras traces call for the
    symbolic output, and `shapes` compares it with the eager one."""

    def build(self, input_shape):
        self.weight = self.add_weight(name="weight", shape=(input_shape[-1] // 2,))

    def call(self, inputs):
        pairs = ops.reshape(inputs[:, : 2 * (inputs.shape[-1] // 2)], (-1, inputs.shape[-1] // 2, 2))
        return ops.sum(pairs, axis=-1) * self.weight


@keras.saving.register_keras_serializable(package=PACKAGE)
class SubDense(keras.layers.Layer):
    """A Dense sub-layer given the owner's policy, built in build, and no
    compute_output_shape: under mixed_float16 on torch Keras's symbolic trace says
    float32 while the eager output is float16 (Keras's behaviour, not the layer's)."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = keras.layers.Dense(units, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)

    def call(self, inputs):
        return ops.tanh(self.dense(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}
