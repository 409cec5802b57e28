"""Text in LaTeX, without sympy: the characters pdflatex can set, and a sentence's maths as maths.

User-written text (a scenario's source, "Θ = [W U]") goes into a LaTeX document as prose.

LaTeX's utf8 input sets Latin letters with accents and common punctuation; any other character
stops pdflatex ("Unicode character Θ not set up for use with LaTeX"). Greek letters become maths,
other letters their unaccented ASCII form (ﬁ -> fi; never a character LaTeX reads as a command),
anything else a visible [U+XXXX].
"""

from __future__ import annotations

import re
import unicodedata

# what pdflatex's default OT1/TS1 encodings set, checked against TeX Live 2022; the rest is replaced
_UNSET = {0xAB, 0xBB, 0xD0, 0xDE, 0xF0, 0xFE, 0x104, 0x105, 0x110, 0x111, 0x118, 0x119, 0x126, 0x127, 0x12E}
_UNSET |= {0x12F, 0x138, 0x13F, 0x140, 0x149, 0x14A, 0x14B, 0x166, 0x167, 0x172, 0x173, 0x17F}
_PUNCTUATION = set("–—‘’“”†‡•…‰€™°")
_GREEK_AS_LATIN = {"ALPHA": "A", "BETA": "B", "EPSILON": "E", "ZETA": "Z", "ETA": "H", "IOTA": "I", "KAPPA": "K"}
_GREEK_AS_LATIN |= {"MU": "M", "NU": "N", "OMICRON": "O", "RHO": "P", "TAU": "T", "CHI": "X"}
_GREEK = set(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma varsigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)  # the letters TeX's maths has


def pdflatex_char(c: str) -> str:
    """c as pdflatex sets it: itself where it can, a Greek letter as maths (Θ -> $\\Theta$), else a stand-in."""
    code = ord(c)
    if code < 0x80 or (0xA0 <= code < 0x180 and code not in _UNSET) or c in _PUNCTUATION:
        return c
    name = unicodedata.name(c, "")
    if name.startswith("GREEK ") and " LETTER " in name:
        letter = name.rsplit(" LETTER ", 1)[1].split(" ")[0].replace("LAMDA", "LAMBDA")
        if "CAPITAL" in name and letter in _GREEK_AS_LATIN:
            return _GREEK_AS_LATIN[letter]
        tex = letter.title() if "CAPITAL" in name else "varsigma" if "FINAL" in name else letter.lower()
        if tex in _GREEK:
            return rf"$\{tex}$"
        if letter == "OMICRON":
            return "o"
    plain = "".join(p for p in unicodedata.normalize("NFKD", c) if p.isascii() and p.isalnum())  # ﬁ -> fi, never $
    return plain or f"[U+{code:04X}]"


# A sentence the tool wrote about the maths ("label_1 = 1.25 is outside (-1, 1): out_t = tanh(state_t) ⊙ o_t …"):
# names with a subscript, numbers, functions and operators are maths; words are prose.
_TOKEN = re.compile(
    r"(?P<layered>[A-Za-zδΔ]+(?:_[A-Za-z0-9]+)?_l\d+r?(?:_(?:\{[-+A-Za-z0-9]+\}|-?[A-Za-z0-9]+))?(?![\w]))"
    r"|(?P<name>[A-Za-zδΔΣ]+_(?:\{[-+A-Za-z0-9]+\}|-?[A-Za-z0-9]+)|[B-HJ-Z](?![\w'-]))"
    r"|(?P<func>(?:tanh|σ|sigmoid|exp|log|softmax)(?=\())"
    r"|(?P<word>[^\W\d_][\w'-]*)"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
    r"|(?P<op>[=⊙×−+·²ᵀ<>≤≥⟨⟩Σ])"
    r"|(?P<neutral>[(),\[\] ])"
    r"|(?P<other>.)",
    re.DOTALL,
)
_OPS = {"⊙": r"\odot", "×": r"\times", "−": "-", "·": r"\cdot", "²": "^{2}", "ᵀ": r"^{\top}", "≤": r"\le", "≥": r"\ge"}
_OPS |= {"⟨": r"\langle ", "⟩": r"\rangle ", "Σ": r"\Sigma"}
_FUNCS = {"tanh": r"\tanh", "σ": r"\sigma", "sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log"}


_LAYER = re.compile(r"(?P<head>[^_]+)(?:_(?P<sub>[A-Za-z0-9]+))?_l(?P<k>\d+)(?P<r>r?)(?:_(?P<step>.+))?")


def _tex_token(kind: str, text: str) -> str:
    if kind == "layered":  # out_l0r_t -> \mathrm{out}^{(0,\leftarrow)}_{t}, W_g_l1 -> W^{(1)}_{g}
        m = _LAYER.fullmatch(text)
        assert m is not None
        head = _tex_token("name", m["head"] + "_x")[: -len("_{x}")]
        sub = ",".join(p.strip("{}") for p in (m["sub"], m["step"]) if p)
        up = "^{(" + m["k"] + (r",\leftarrow" if m["r"] else "") + ")}"
        return head + up + (f"_{{{sub}}}" if sub else "")
    if kind == "name":  # δstate_{t+1} -> \delta \mathrm{state}_{t+1}
        head, _, sub = text.partition("_")
        if not sub:  # one capital: E, N
            return text
        if head == "Σ":
            return r"\sum_{" + sub.strip("{}") + "}"
        prefix = {"δ": r"\delta ", "Δ": r"\Delta "}.get(head[:1], "")
        core = head[1:] if prefix else head
        core = core if len(core) <= 1 else rf"\mathrm{{{core}}}"
        return (prefix + core).rstrip() + "_{" + sub.strip("{}") + "}"
    if kind == "func":
        return _FUNCS.get(text, rf"\mathrm{{{text}}}")
    if kind == "number":
        mantissa, e, power = text.partition("e")
        return rf"{mantissa} \times 10^{{{int(power)}}}" if e else text
    return _OPS.get(text, text)


def tex_prose(text: str) -> list[tuple[bool, str]]:
    """A sentence as (is maths, text) runs: maths in LaTeX, prose as written (for the caller to escape)."""
    runs: list[tuple[bool, str]] = []
    pending = ""  # neutral characters between tokens: maths inside a formula, prose at its edges
    for m in _TOKEN.finditer(text):
        kind, token = m.lastgroup or "other", m.group()
        if kind == "neutral":
            pending += token
            continue
        maths = kind not in ("word", "other")
        piece = _tex_token(kind, token) if maths else token
        if runs and runs[-1][0] == maths:
            if maths and not pending and re.search(r"\\[A-Za-z]+$", runs[-1][1]) and piece[:1].isalpha():
                pending = " "  # W·x_t: \cdot x_{t}, not \cdotx_{t}
            runs[-1] = (maths, runs[-1][1] + pending + piece)
        else:
            _prose(runs, pending)
            if maths:
                runs.append((True, piece))
            else:
                _prose(runs, piece)
        pending = ""
    _prose(runs, pending)
    return runs


def _prose(runs: list[tuple[bool, str]], text: str) -> None:
    if not text:
        return
    if runs and not runs[-1][0]:
        runs[-1] = (False, runs[-1][1] + text)
    else:
        runs.append((False, text))
