"""The scenario file format as pydantic models: validation and the JSON Schema for editors."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

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
MAX_LAYERS = 8  # stacked layers: a worked solution of more would be a book
MAX_ITERATIONS = 1000  # forward, backward and update each time: beyond, a run takes minutes, not seconds
TAGS = {"rows", "row", "per-gate", "stacked", "number", "list"}  # discriminator tags pydantic puts in error locations


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


GATE_LETTERS = (
    "a",
    "i",
    "f",
    "o",
    "r",
    "z",
    "n",
)  # the LSTM's a, i, f, o (a coupled-gate LSTM's a, f, o); a GRU's r, z, n
GateMatrices = create_model(
    "GateMatrices",
    __base__=Strict,
    __doc__="One matrix per gate: the LSTM's a, i, f, o (a coupled-gate LSTM's a, f, o; a GRU's r, z, n).",
    **{g: (Matrix | None, None) for g in GATE_LETTERS},  # type: ignore[call-overload]
)
GateVectors = create_model(
    "GateVectors",
    __base__=Strict,
    __doc__="One vector per gate, as GateMatrices.",
    **{g: (Vector | None, None) for g in GATE_LETTERS},  # type: ignore[call-overload]
)


MatrixBlock = Annotated[
    Annotated[GateMatrices, Tag("per-gate")] | Annotated[Matrix, Tag("stacked")], Discriminator(_block_form)
]
VectorBlock = Annotated[
    Annotated[GateVectors, Tag("per-gate")] | Annotated[Vector, Tag("stacked")], Discriminator(_block_form)
]


class PeepholeVectors(Strict):
    """P_i, P_f, P_o: H entries each, weighting the state elementwise in the gate."""

    i: Vector
    f: Vector
    o: Vector


class ModelSpec(Strict):
    cell: Literal["lstm", "peephole", "cifg", "gru", "rnn", "custom"] = Field(
        default="lstm",
        description="lstm; peephole (gates that see the state); cifg (coupled input and forget gates, "
        "i_t = 1 − f_t); gru (gates r, z, n); rnn (out_t = tanh(W·x_t + U·out_{t-1} + b)); custom (equations)",
    )
    equations: dict[str, str] | None = Field(
        default=None,
        description="custom: the cell's forward equations in order, quantity: expression "
        "(a: tanh(W_a·x_t + U_a·out_{t-1} + b_a), …, out: …); parameters are given by name",
    )
    reset: Literal["after", "before"] | None = Field(
        default=None,
        description="gru: the reset gate multiplies U_n·out_{t-1} + b_hn (after: PyTorch, Keras) or out_{t-1} "
        "before U_n (before: Cho et al. 2014)",
    )
    activation: Literal["tanh", "relu"] | None = Field(default=None, description="rnn: tanh (default) or relu")
    layers: Annotated[int, Field(strict=True, ge=1, le=MAX_LAYERS)] = Field(
        default=1,
        description="stacked layers: layer l+1 reads layer l's out_t; names carry the layer (a_l0_t, W_a_l1); "
        "parameters per layer (l0: {W, U, b}, l1: …) or PyTorch's weight_ih_l0, weight_ih_l1, …",
    )
    bidirectional: Annotated[bool, Field(strict=True)] = Field(
        default=False,
        description="each layer also read from the last step back, with its own parameters (a_l0r_t, W_a_l0r; "
        "PyTorch's weight_ih_l0_reverse); out_t is [out_t; out_t reverse] (2H entries), as nn.LSTM's",
    )
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


class Parameters(Strict):
    """Per gate (W is H×D, U is H×H, b has H entries) or stacked in gate order: the LSTM's a, i, f, o, a
    coupled-gate LSTM's a, f, o, a GRU's r, z, n; a vanilla RNN's one W, U, b."""

    W: MatrixBlock
    U: MatrixBlock
    b: VectorBlock | None = Field(default=None, description="omit for a cell without bias")
    P: PeepholeVectors | None = Field(default=None, description="peephole weights, for cell: peephole")
    b_hn: Vector | None = Field(
        default=None, description="gru (reset: after): the bias inside r_t ⊙ (U_n·out_{t-1} + b_hn), H entries"
    )
    V: Matrix | None = Field(default=None, description="K×H output weights, for output: softmax")
    c: Vector | None = Field(default=None, description="K output biases, for output: softmax")


class Initial(Strict):
    """out_{-1} and state_{-1}: H entries (for a batch: each sequence alike), or N×H; zeros by default."""

    out: Matrix | None = None
    state: Matrix | None = None


class Step(Strict):
    """One step: x_t (D entries, or N×D for a batch), and its label or the given upstream gradient dout."""

    x: Matrix
    label: NumberOrMatrix | None = Field(default=None, description="the target (N of them for a batch)")
    dout: Matrix | None = Field(
        default=None, description="∂L/∂out_t from the layers above (H entries, N×H for a batch), instead of a label"
    )


class Final(Strict):
    dstate: Matrix = Field(description="∂L/∂state_{T-1} from beyond the last step (H entries, N×H for a batch)")


class Optimizer(Strict):
    """sgd: p − λ·δp.  adagrad: cache += δp², p − λ·δp/√(cache + ε) (ε inside the root, as Theophilou writes it)."""

    name: Literal["sgd", "adagrad"] = "sgd"
    lr: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] = 0.1
    eps: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] = Field(
        default=1e-8, description="adagrad only: added to the cache under the square root"
    )


class Display(Strict):
    decimals: Annotated[int, Field(strict=True, ge=0, le=15)] = 5


class Part(Strict):
    """A homework part: its quantities (by name, in the order asked) and what it is worth."""

    id: Annotated[str, Field(min_length=1, description="short label, e.g. a")]
    title: str = ""
    quantities: Annotated[list[str], Field(min_length=1, description="names as in answers files: a_0, dW, ...")]
    points: Annotated[float, Field(strict=True, gt=0, allow_inf_nan=False)] | None = Field(
        default=None, description="the part's worth, shared equally by its quantities (default: one each)"
    )


Tolerance = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


class Grading(Strict):
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


class ScenarioModel(Strict):
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
