"""Number formatting for humans: fixed units per column, as the lecture tables print them."""

from __future__ import annotations

KB = 1024
MB = 1024 * 1024


def trim(value: float, decimals: int) -> str:
    """value with thousands separators and at most `decimals` decimals, trailing zeros dropped."""
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def kilobytes(n_bytes: int) -> str:
    """Bytes as KB (1024 bytes), up to 2 decimals."""
    return trim(n_bytes / KB, 2)


def thousands(count: int) -> str:
    """A count in k, exact (up to 3 decimals)."""
    return trim(count / 1e3, 3)


def millions(count: int) -> str:
    """A count in M, one decimal."""
    return trim(count / 1e6, 1)


def human(count: int, suffix: str = "") -> str:
    """A count scaled to k, M, G or T with 2 decimals: 61.1 M."""
    for factor, unit in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(count) >= factor:
            return f"{count / factor:,.2f} {unit}{suffix}"
    return f"{count:,} {suffix}".rstrip()


def megabytes(n_bytes: int) -> str:
    """Bytes as MB (1024 x 1024 bytes), 2 decimals."""
    return f"{n_bytes / MB:,.2f} MB"


def percent(fraction: float) -> str:
    """0.1234 -> '12.3'; an exact zero stays '0'."""
    return "0" if fraction == 0 else f"{100 * fraction:.1f}"
