"""Parameters in other sources' layouts as pydantic models (scenario/layouts.py reads them), and the JSON
Schema of a scenario in any layout."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field

from .schema import Matrix, Number, Parameters, ScenarioModel, Strict, Vector


# Other sources' layouts: `parameters:` as they name and shape them (scenario/layouts.py reads them)
class Head(Strict):
    V: Matrix | None = Field(default=None, description="K×H output weights, for output: softmax")
    c: Vector | None = Field(default=None, description="K output biases, for output: softmax")


class PyTorchParameters(Head):
    """nn.LSTM's state_dict: rows in gate order i, f, g, o (g is this tool's a); both biases are added.
    nn.GRU's (cell: gru): rows r, z, n, 3H; nn.RNN's (cell: rnn): H rows."""

    weight_ih_l0: Matrix | None = Field(default=None, description="4H×D (also weight_ih)")
    weight_hh_l0: Matrix | None = Field(default=None, description="4H×H (also weight_hh)")
    bias_ih_l0: Vector | None = Field(default=None, description="4H (also bias_ih); omit both for bias=False")
    bias_hh_l0: Vector | None = Field(default=None, description="4H (also bias_hh)")
    weight_ih: Matrix | None = None
    weight_hh: Matrix | None = None
    bias_ih: Vector | None = None
    bias_hh: Vector | None = None


class CS231nParameters(Head):
    """CS231n's lstm_step_forward: a = x·Wx + h·Wh + b, columns in gate order i, f, o, g."""

    Wx: Matrix = Field(description="D×4H")
    Wh: Matrix = Field(description="H×4H")
    b: Vector = Field(description="4H")


class KerasParameters(Head):
    """keras.layers.LSTM's weights: columns in gate order i, f, c, o (c is this tool's a)."""

    kernel: Matrix = Field(description="D×4H")
    recurrent_kernel: Matrix = Field(description="H×4H")
    bias: Vector | None = Field(default=None, description="4H; omit for use_bias=False")


class TensorFlowParameters(Head):
    """TensorFlow 1's LSTMCell: kernel on [x_t; h_{t-1}], columns in gate order i, j, f, o (j is this tool's a),
    and forget_bias added to the forget gate's pre-activation at run time."""

    kernel: Matrix = Field(description="(D+H)×4H, acting on the concatenation [x_t; h_{t-1}]")
    bias: Vector = Field(description="4H")
    forget_bias: Annotated[Number, Field(description="added to f's pre-activation (TensorFlow's default: 1.0)")]


class DeepLearningAiParameters(Head):
    """deeplearning.ai's lstm_cell_forward: each gate's W acts on the concatenation [a_prev; xt]."""

    Wf: Matrix = Field(description="H×(H+D)")
    Wi: Matrix = Field(description="H×(H+D)")
    Wc: Matrix = Field(description="H×(H+D) (c̃ is this tool's a)")
    Wo: Matrix = Field(description="H×(H+D)")
    bf: Matrix = Field(description="H entries, or H×1")
    bi: Matrix = Field(description="H entries, or H×1")
    bc: Matrix = Field(description="H entries, or H×1")
    bo: Matrix = Field(description="H entries, or H×1")


MODELS: dict[str, type[Head]] = {
    "pytorch": PyTorchParameters,
    "cs231n": CS231nParameters,
    "keras": KerasParameters,
    "tensorflow": TensorFlowParameters,
    "deeplearning.ai": DeepLearningAiParameters,
}


class LayerBlocks(Head):
    """model: {layers: L} or {bidirectional: true}: a block per layer (and direction), beside an output layer's
    V and c."""

    model_config = ConfigDict(extra="allow", frozen=True, title="Layers")
    __pydantic_extra__: dict[str, Parameters] = Field(init=False)  # l0, l0r, l1, … (V: K×2H when bidirectional)


class AnyLayoutScenario(ScenarioModel):
    """The JSON Schema's view: parameters in any layout (`layout:` says which)."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="lstm-trace scenario")

    parameters: (  # type: ignore[assignment]
        Parameters
        | PyTorchParameters
        | CS231nParameters
        | KerasParameters
        | TensorFlowParameters
        | DeepLearningAiParameters
        | LayerBlocks
        | Annotated[
            dict[str, Matrix | dict[str, Matrix]],
            Field(
                title="CustomParameters",
                description="cell: custom: each parameter by the name its equations use (W_a: …), or a "
                "family per gate (W: {a: …} for W_a)",
            ),
        ]
    )


def json_schema() -> dict[str, Any]:
    return AnyLayoutScenario.model_json_schema()
