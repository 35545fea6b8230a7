"""Number formatting for humans: one unit and one number of decimals per column, as the lecture tables print them.

A value that is not zero never prints as 0: below the last decimal it prints as '<0.1'; an exact zero prints as
'0' (no decimals) so that free layers stand out; nothing prints as '-0.0'.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

KB = 1024
MB = 1024 * 1024


def fixed(value: float, decimals: int = 1) -> str:
    """value with thousands separators and exactly `decimals` decimals; 0 as '0', a tiny non-zero as '<0.1'."""
    if value == 0:
        return "0"
    smallest = 10.0**-decimals
    if abs(value) < smallest / 2:
        return f"<{smallest:.{decimals}f}" if value > 0 else f">-{smallest:.{decimals}f}"
    exact = Decimal(value)
    with localcontext() as context:  # as many digits as the value has: quantize refuses more than the context's
        context.prec = max(28, exact.adjusted() + decimals + 2)
        rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)  # 182.25 -> 182.3
    return f"{rounded:,.{decimals}f}"


def ratio(value: Fraction | float, digits: int = 3) -> str:
    """value to `digits` significant digits, more where fewer would read as 1 though it is not: 1.0027 for a 0.27%
    growth, never 1; exactly 1 as '1'."""
    if value == 1:
        return "1"
    for places in range(digits, 18):
        text = f"{float(value):.{places}g}"
        if float(text) != 1:
            return text
    return f"{float(value)!r}"


def kilobytes(n_bytes: int) -> str:
    """Bytes as KB (1024 bytes), one decimal."""
    return fixed(n_bytes / KB)


BYTE_UNITS = (("KB", KB), ("MB", MB), ("GB", 1024 * MB))
MAX_DIGITS = 6  # whole digits a byte column shows before it moves to the next unit


def byte_unit(largest: int) -> tuple[str, int]:
    """The unit a column of byte counts prints in: KB (the lecture tables'), or MB or GB where the largest value in
    KB (or MB) would have more than MAX_DIGITS whole digits."""
    for name, size in BYTE_UNITS:
        if round(largest / size, 1) < 10**MAX_DIGITS:  # as printed: 999,999.96 KB prints as 1,000,000.0
            return name, size
    return BYTE_UNITS[-1]


def in_unit(n_bytes: int, size: int) -> str:
    """Bytes in a unit of size bytes, one decimal."""
    return fixed(n_bytes / size)


def thousands(count: int) -> str:
    """A count in k, one decimal."""
    return fixed(count / 1e3)


def millions(count: int) -> str:
    """A count in M, one decimal."""
    return fixed(count / 1e6)


def milliseconds(seconds: float) -> str:
    """Seconds as milliseconds, three decimals, no unit (the header states it)."""
    return fixed(seconds * 1e3, 3)


def megabytes_value(n_bytes: int) -> str:
    """Bytes as a number of MB (1024 x 1024 bytes), two decimals, no unit (the header states it)."""
    return fixed(n_bytes / MB, 2)


def human(count: int | float, suffix: str = "") -> str:
    """A count scaled to k, M, G or T with 2 decimals: 61.1 M; below 1,000 the count itself."""
    for factor, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= factor:
            return f"{count / factor:,.2f} {unit}{suffix}"
    return f"{count:,} {suffix}".rstrip()


def megabytes(n_bytes: int) -> str:
    """Bytes as MB (1024 x 1024 bytes), 2 decimals, with the unit."""
    return f"{megabytes_value(n_bytes)} MB"


def percent(fraction: float) -> str:
    """0.1234 -> '12.3'; an exact zero '0'; a tiny share '<0.1'."""
    return fixed(100 * fraction)
