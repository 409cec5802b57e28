"""The scenario file format as pydantic models: validation and the JSON Schema for editors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Vector = Annotated[list[Number], Field(min_length=1)]
Rows = Annotated[list[Vector], Field(min_length=1)]


def _matrix_form(v: Any) -> str:
    return "rows" if isinstance(v, list) and v and isinstance(v[0], list) else "row"


def _number_form(v: Any) -> str:
    return "list" if isinstance(v, list) else "number"


def _block_form(v: Any) -> str:
    return "per-gate" if isinstance(v, dict) else "stacked"


# a matrix is a list of rows, or a flat list for a matrix with one row
Matrix = Annotated[Annotated[Rows, Tag("rows")] | Annotated[Vector, Tag("row")], Discriminator(_matrix_form)]

NumberOrVector = Annotated[
    Annotated[Number, Tag("number")] | Annotated[Vector, Tag("list")], Discriminator(_number_form)
]
NumberOrMatrix = Annotated[
    Annotated[Number, Tag("number")] | Annotated[Matrix, Tag("list")], Discriminator(_number_form)
]

LAYOUTS = ("gomez", "pytorch", "cs231n", "keras", "tensorflow", "deeplearning.ai")
MAX_ITERATIONS = 1000  # forward, backward and update each time: beyond, a run takes minutes, not seconds
TAGS = {"rows", "row", "per-gate", "stacked", "number", "list"}  # discriminator tags pydantic puts in error locations


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GateMatrices(_Strict):
    a: Matrix
    i: Matrix
    f: Matrix
    o: Matrix


class GateVectors(_Strict):
    a: Vector
    i: Vector
    f: Vector
    o: Vector


MatrixBlock = Annotated[
    Annotated[GateMatrices, Tag("per-gate")] | Annotated[Matrix, Tag("stacked")], Discriminator(_block_form)
]
VectorBlock = Annotated[
    Annotated[GateVectors, Tag("per-gate")] | Annotated[Vector, Tag("stacked")], Discriminator(_block_form)
]


class PeepholeVectors(_Strict):
    """P_i, P_f, P_o: H entries each, weighting the state elementwise in the gate."""

    i: Vector
    f: Vector
    o: Vector


class ModelSpec(_Strict):
    cell: Literal["lstm", "peephole"] = "lstm"
    peephole_output: Literal["current", "previous"] = Field(
        default="current",
        description="the state the output gate sees: state_t (Gers & Schmidhuber, Keras) or state_{t-1} "
        '(as Theophilou\'s "LSTM Recurrent Neural Network Implementation" writes it)',
    )
    output: Literal["none", "softmax"] = Field(
        default="none", description="softmax: y_t = softmax(V·out_t + c) over K classes, with loss: cross_entropy"
    )
    notation: Literal["default", "ch"] = Field(
        default="default",
        description="ch: print c_t, h_t, δc_t, δh_t for state_t, out_t "
        '(as the no-bias derivation titled "LSTM" writes them)',
    )


class Parameters(_Strict):
    """Per gate a, i, f, o (W is H×D, U is H×H, b has H entries) or stacked in that order."""

    W: MatrixBlock
    U: MatrixBlock
    b: VectorBlock | None = Field(default=None, description="omit for a cell without bias")
    P: PeepholeVectors | None = Field(default=None, description="peephole weights, for cell: peephole")
    V: Matrix | None = Field(default=None, description="K×H output weights, for output: softmax")
    c: Vector | None = Field(default=None, description="K output biases, for output: softmax")


# Other sources' layouts: `parameters:` as they name and shape them (scenario/layouts.py reads them)
class _Head(_Strict):
    V: Matrix | None = Field(default=None, description="K×H output weights, for output: softmax")
    c: Vector | None = Field(default=None, description="K output biases, for output: softmax")


class PyTorchParameters(_Head):
    """nn.LSTM's state_dict: rows in gate order i, f, g, o (g is this tool's a); both biases are added."""

    weight_ih_l0: Matrix | None = Field(default=None, description="4H×D (also weight_ih)")
    weight_hh_l0: Matrix | None = Field(default=None, description="4H×H (also weight_hh)")
    bias_ih_l0: Vector | None = Field(default=None, description="4H (also bias_ih); omit both for bias=False")
    bias_hh_l0: Vector | None = Field(default=None, description="4H (also bias_hh)")
    weight_ih: Matrix | None = None
    weight_hh: Matrix | None = None
    bias_ih: Vector | None = None
    bias_hh: Vector | None = None


class CS231nParameters(_Head):
    """CS231n's lstm_step_forward: a = x·Wx + h·Wh + b, columns in gate order i, f, o, g."""

    Wx: Matrix = Field(description="D×4H")
    Wh: Matrix = Field(description="H×4H")
    b: Vector = Field(description="4H")


class KerasParameters(_Head):
    """keras.layers.LSTM's weights: columns in gate order i, f, c, o (c is this tool's a)."""

    kernel: Matrix = Field(description="D×4H")
    recurrent_kernel: Matrix = Field(description="H×4H")
    bias: Vector | None = Field(default=None, description="4H; omit for use_bias=False")


class TensorFlowParameters(_Head):
    """TensorFlow 1's LSTMCell: kernel on [x_t; h_{t-1}], columns in gate order i, j, f, o (j is this tool's a),
    and forget_bias added to the forget gate's pre-activation at run time."""

    kernel: Matrix = Field(description="(D+H)×4H, acting on the concatenation [x_t; h_{t-1}]")
    bias: Vector = Field(description="4H")
    forget_bias: Annotated[Number, Field(description="added to f's pre-activation (TensorFlow's default: 1.0)")]


class DeepLearningAiParameters(_Head):
    """deeplearning.ai's lstm_cell_forward: each gate's W acts on the concatenation [a_prev; xt]."""

    Wf: Matrix = Field(description="H×(H+D)")
    Wi: Matrix = Field(description="H×(H+D)")
    Wc: Matrix = Field(description="H×(H+D) (c̃ is this tool's a)")
    Wo: Matrix = Field(description="H×(H+D)")
    bf: Matrix = Field(description="H entries, or H×1")
    bi: Matrix = Field(description="H entries, or H×1")
    bc: Matrix = Field(description="H entries, or H×1")
    bo: Matrix = Field(description="H entries, or H×1")


MODELS: dict[str, type[_Head]] = {
    "pytorch": PyTorchParameters,
    "cs231n": CS231nParameters,
    "keras": KerasParameters,
    "tensorflow": TensorFlowParameters,
    "deeplearning.ai": DeepLearningAiParameters,
}


class Initial(_Strict):
    """out_{-1} and state_{-1}: H entries (for a batch: each sequence alike), or N×H; zeros by default."""

    out: Matrix | None = None
    state: Matrix | None = None


class Step(_Strict):
    """One step: x_t (D entries, or N×D for a batch), and its label or the given upstream gradient dout."""

    x: Matrix
    label: NumberOrMatrix | None = Field(default=None, description="the target (N of them for a batch)")
    dout: Matrix | None = Field(
        default=None, description="∂L/∂out_t from the layers above (H entries, N×H for a batch), instead of a label"
    )


class Final(_Strict):
    dstate: Matrix = Field(description="∂L/∂state_{T-1} from beyond the last step (H entries, N×H for a batch)")


class Optimizer(_Strict):
    """sgd: p − λ·δp.  adagrad: cache += δp², p − λ·δp/√(cache + ε) (ε inside the root, as Theophilou writes it)."""

    name: Literal["sgd", "adagrad"] = "sgd"
    lr: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] = 0.1
    eps: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] = Field(
        default=1e-8, description="adagrad only: added to the cache under the square root"
    )


class Display(_Strict):
    decimals: Annotated[int, Field(strict=True, ge=0, le=15)] = 5


class Part(_Strict):
    """A homework part: its quantities (by name, in the order asked) and what it is worth."""

    id: Annotated[str, Field(min_length=1, description="short label, e.g. a")]
    title: str = ""
    quantities: Annotated[list[str], Field(min_length=1, description="names as in answers files: a_0, dW, ...")]
    points: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        default=None, description="the part's worth, shared equally by its quantities (default: one each)"
    )


Tolerance = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class Grading(_Strict):
    carried_credit: Annotated[float, Field(strict=True, ge=0, le=1, allow_inf_nan=False)] = Field(
        default=0.5, description="the share of a quantity's points for an answer carried from an earlier mistake"
    )
    min_significant: Annotated[int, Field(strict=True, ge=0, le=15)] = Field(
        default=2,
        description="significant digits an answer must match (never finer than display.decimals; 0: no check); "
        "an answer right only within a coarser rounding it wrote (0.0, 0e9) is too-few-digits",
    )
    rtol: Tolerance = Field(
        default=0.0, description="relative tolerance on top of the written rounding (float32 sources: 1e-6)"
    )
    atol: Tolerance = Field(default=0.0, description="absolute tolerance on top of the written rounding")


class ScenarioModel(_Strict):
    """One exercise: a model, its parameters, a sequence, the loss and the optimizer."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="lstm-trace scenario")

    name: str = ""
    source: str = ""
    layout: Literal[LAYOUTS] = Field(  # type: ignore[valid-type]
        default="gomez", description="how parameters are named and shaped: this tool's (gomez) or a source's"
    )
    model: ModelSpec = ModelSpec()
    parameters: Parameters
    initial: Initial = Initial()
    sequence: Annotated[list[Step], Field(min_length=1)]
    loss: Literal["l2", "cross_entropy", "none"] = Field(
        default="l2",
        description="l2: ½‖out_t − label_t‖²; cross_entropy: −log y_t[label_t], label a class index; "
        "none: forward only. Leave it out when every step gives dout",
    )
    reduction: Literal["sum", "mean"] = Field(
        default="sum", description="a batch's loss and parameter gradients: summed or averaged over its N sequences"
    )
    final: Final | None = Field(default=None, description="given gradients beyond the last step")
    optimizer: Optimizer = Optimizer()
    display: Display = Display()
    iterations: Annotated[int, Field(strict=True, ge=1, le=MAX_ITERATIONS)] = Field(
        default=1, description="forward, backward and update repeated, each from the last one's parameters"
    )
    expected: dict[str, NumberOrMatrix] = Field(
        default_factory=dict, description="numbers as the source printed them, by quantity name"
    )
    parts: list[Part] = Field(default_factory=list, description="homework parts, for check and template")
    grading: Grading = Grading()


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
    )


def json_schema() -> dict[str, Any]:
    return AnyLayoutScenario.model_json_schema()
