"""Independent reference: the same LSTM in PyTorch float64, gradients by autograd."""

from __future__ import annotations

import numpy as np

GATES = ("a", "i", "f", "o")


def torch_trace(sc) -> dict[str, np.ndarray]:
    import torch

    def t(a):
        return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=True)

    P = {k: t(v) for k, v in sc.params.items()}
    xs = [t(x) for x in sc.x]
    out, state = t(sc.init_out), t(sc.init_state)
    leaves = {"out_-1": out, "state_-1": state, **{f"x_{k}": x for k, x in enumerate(xs)}}
    keep: dict[str, torch.Tensor] = {}
    E = torch.zeros((), dtype=torch.float64)
    for k, x in enumerate(xs):
        z = {g: P[f"W_{g}"] @ x + P[f"U_{g}"] @ out + (P[f"b_{g}"] if f"b_{g}" in P else 0) for g in GATES}
        if sc.cell == "peephole":  # nn.LSTM has no peepholes: Gers & Schmidhuber's, from torch operations
            previous = state
            a, i, f = (
                torch.tanh(z["a"]),
                torch.sigmoid(z["i"] + P["P_i"] * previous),
                torch.sigmoid(z["f"] + P["P_f"] * previous),
            )
            state = a * i + f * previous
            seen = state if sc.peephole_output == "current" else previous
            o = torch.sigmoid(z["o"] + P["P_o"] * seen)
        else:
            a, i, f, o = torch.tanh(z["a"]), torch.sigmoid(z["i"]), torch.sigmoid(z["f"]), torch.sigmoid(z["o"])
            state = a * i + f * state
        out_k = torch.tanh(state) * o
        out_k.retain_grad()
        state.retain_grad()
        for g in GATES:
            z[g].retain_grad()
            keep[f"d{g}_{k}"] = z[g]
        keep[f"dstate_{k}"], keep[f"dout_{k}"] = state, out_k
        vals = {"a": a, "i": i, "f": f, "o": o, "state": state, "out": out_k}
        for name, v in vals.items():
            keep[f"{name}_{k}"] = v
        if sc.output == "softmax":  # logits, softmax and cross-entropy, as torch computes them
            s_k = P["V"] @ out_k + P["c"]
            s_k.retain_grad()
            keep[f"ds_{k}"], keep[f"s_{k}"] = s_k, s_k
            keep[f"y_{k}"] = torch.softmax(s_k, dim=0)
            target = torch.tensor([int(np.argmax(sc.label[k]))])
            E_k = torch.nn.functional.cross_entropy(s_k.unsqueeze(0), target, reduction="sum")
        else:
            E_k = 0.5 * ((out_k - torch.tensor(sc.label[k], dtype=torch.float64)) ** 2).sum()
        keep[f"E_{k}"] = E_k
        E = E + E_k
        out = out_k
    E.backward()
    ref = {}
    for name, v in keep.items():
        if name.startswith("d"):
            ref[name] = v.grad.numpy().copy()
        else:
            ref[name] = np.atleast_1d(v.detach().numpy().copy())
    ref["E"] = np.array([E.item()])
    for k, x in enumerate(xs):
        ref[f"dx_{k}"] = x.grad.numpy().copy()
    ref["Dout_-1"] = leaves["out_-1"].grad.numpy().copy()
    for name, p in P.items():
        ref[f"d{name}"] = p.grad.numpy().copy()
        ref[f"{name}_new"] = (p - sc.lr * p.grad).detach().numpy()
    if sc.optimizer == "adagrad":  # PyTorch's own Adagrad: its ε sits outside the root
        opt = torch.optim.Adagrad(list(P.values()), lr=sc.lr, eps=sc.eps)
        opt.step()
        for name, p in P.items():
            ref[f"{name}_new"] = p.detach().numpy().copy()
            ref[f"cache_{name}_new"] = opt.state[p]["sum"].numpy().copy()
    return ref
