"""Numbers as sources print them: the exact value, and the interval of exact values the printed digits stand for.

A printed "73" in millions stands for every value that rounds to it: [72.5 M, 73.5 M). A sum or product
written out ("(9216 × 4096) + 4096") and a symbolic count ("25C²HW", once C, H and W are given) stand for
one value exactly. All arithmetic is in fractions: no float ever decides a verdict.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace
from fractions import Fraction

from ..errors import CnnCostError

# base units per printed unit; cnncost's KB and MB are binary (1024 bytes, 1024 KB)
UNITS: dict[str, Fraction] = {
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "KB": Fraction(1024),
    "MB": Fraction(1024**2),
    "kB (10^3 bytes)": Fraction(10**3),
    "MB (10^6 bytes)": Fraction(10**6),
    "%": Fraction(1, 100),
    "x": Fraction(1),
}

_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})*(\.\d+)?$|^-?\d+(\.\d+)?$")
_FORMULA = re.compile(r"^(\d+)((?:C²|HW|C|H|W)+)$")


@dataclass(frozen=True)
class Printed:
    """A printed number: its text, its unit, the source's words around it, and its rounding step.

    text is digits ("37,749", "7.5"), arithmetic ("(9216 × 4096) + 4096") or a count in C, H, W ("25C²HW").
    step is the rounding step in the unit where the digits do not show it ("100" for "about 500"); by default
    it is one unit in the last printed place, and 0 (exact) for arithmetic and for a whole count printed in
    full, without a unit ("23,296", "64").
    """

    text: str
    unit: str = ""
    quote: str = ""
    step: str | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise CnnCostError(f"unknown unit {self.unit!r} for {self.text!r}; known: {', '.join(UNITS)}")
        if self.kind == "formula" and not _FORMULA.match(self.text):
            raise CnnCostError(f"malformed count {self.text!r}: expected such as 25C²HW")

    @property
    def kind(self) -> str:
        """'number', 'expression' (written-out arithmetic) or 'formula' (a count in C, H and W)."""
        if _NUMBER.match(self.text):
            return "number"
        return "formula" if any(ch in self.text for ch in "CHW") else "expression"

    @property
    def scale(self) -> Fraction:
        """Base units (bytes, counts) per printed unit."""
        return UNITS[self.unit]

    @property
    def decimals(self) -> int:
        """Digits printed after the decimal point."""
        return len(self.text.split(".")[1]) if self.kind == "number" and "." in self.text else 0

    @property
    def digits(self) -> Fraction:
        """The printed number in its unit: 73 for '73' M."""
        if self.kind == "number":
            return Fraction(self.text.replace(",", ""))
        if self.kind == "expression":
            return Fraction(evaluate(self.text))
        raise CnnCostError(f"{self.text!r} is a count in C, H and W: give the sizes with at()")

    @property
    def value(self) -> Fraction:
        """The printed value in base units."""
        return self.digits * self.scale

    @property
    def rounding_step(self) -> Fraction:
        """The step in the unit: 1 for '73', 0.1 for '7.5', 0 for written-out arithmetic."""
        if self.step is not None:
            return Fraction(self.step)
        if self.kind != "number" or (self.unit == "" and "." not in self.text):
            return Fraction(0)
        return Fraction(1, 10**self.decimals)

    def interval(self) -> tuple[Fraction, Fraction]:
        """[low, high) in base units: every exact value that rounds (half up) to the printed one."""
        half = self.rounding_step * self.scale / 2
        return self.value - half, self.value + half

    def contains(self, exact) -> bool:
        """True if exact rounds to the printed value (equals it, for arithmetic)."""
        low, high = self.interval()
        return exact == self.value if low == high else low <= exact < high

    def in_unit(self, unit: str) -> Printed:
        """The same digits read in another unit (MB of 10^6 bytes instead of 2^20)."""
        return replace(self, unit=unit)

    def at(self, **sizes: int) -> Printed:
        """A count in C, H, W evaluated at the given sizes: an exact number, quoted as printed."""
        match = _FORMULA.match(self.text)
        if not match:
            raise CnnCostError(f"{self.text!r} is not a count in C, H and W")
        value = int(match[1])
        for factor in re.findall(r"C²|HW|C|H|W", match[2]):
            value *= {"C²": sizes["C"] ** 2, "HW": sizes["H"] * sizes["W"]}.get(factor, sizes.get(factor, 1))
        return Printed(str(value), self.unit, quote=self.quote or self.text, step="0")

    def shown(self) -> str:
        """The printed value as the source prints it."""
        return self.quote or f"{self.text}{_spaced(self.unit)}"

    def stands_for(self) -> str:
        """'[72.5 M, 73.5 M)', or '= 37,752,832' for an exact value."""
        low, high = self.interval()
        if low == high:
            return f"= {number_text(self.value)}"
        places = self.decimals + 1 if self.step is None else max(0, -_exponent(Fraction(self.step) / 2))
        unit = _spaced(self.unit)
        return f"[{number_text(low / self.scale, places)}{unit}, {number_text(high / self.scale, places)}{unit})"


def _spaced(unit: str) -> str:
    """' M' for a unit that takes a space, 'x' and '%' without one, '' for none."""
    return unit if unit in ("x", "%", "") else f" {unit}"


def _exponent(value: Fraction) -> int:
    """The power of ten of the last significant place of a step such as 0.05 (-2) or 50 (1)."""
    exponent = 0
    while value.denominator != 1 and exponent > -12:
        value *= 10
        exponent -= 1
    return exponent


def evaluate(text: str) -> int:
    """The integer value of written-out arithmetic: whole numbers, + - × * and parentheses."""
    source = text.replace("×", "*").replace("·", "*").replace(",", "")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise CnnCostError(f"malformed arithmetic {text!r}") from None

    def walk(node) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
            left, right = walk(node.left), walk(node.right)
            return (
                left + right
                if isinstance(node.op, ast.Add)
                else left - right
                if isinstance(node.op, ast.Sub)
                else left * right
            )
        raise CnnCostError(f"malformed arithmetic {text!r}: only whole numbers, +, - and × are read")

    return walk(tree)


def number_text(value, places: int = 6) -> str:
    """An exact number with thousands separators: whole numbers as they are, fractions to at most places decimals."""
    value = Fraction(value)
    if value.denominator == 1:
        return f"{value.numerator:,}"
    scaled = round(value * 10**places)
    text = f"{abs(scaled) // 10**places:,}.{abs(scaled) % 10**places:0{places}d}".rstrip("0").rstrip(".")
    return ("-" if scaled < 0 else "") + text


def rounded_text(value, printed: Printed) -> str:
    """value (base units) rounded half up to the printed step and written like the printed digits: 150 for 149.5 M."""
    step = printed.rounding_step or Fraction(1, 10**printed.decimals)
    steps = (Fraction(value) / printed.scale / step + Fraction(1, 2)).__floor__()
    return number_text(steps * step, max(printed.decimals, 0)) if printed.decimals else f"{int(steps * step):,}"
