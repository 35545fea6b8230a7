"""Shapes of one sample (batch excluded) and the byte sizes of the supported dtypes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod

from .errors import CnnCostError, UnknownNameError

DTYPE_BYTES = {"fp32": 4, "fp16": 2, "bf16": 2, "int8": 1}  # the dtypes a profile can be costed in (--dtype)
# every dtype a recorded tensor may hold, by torch's name, as cnncost names it and its bytes per element
TORCH_DTYPES = {
    "float32": ("fp32", 4),
    "float16": ("fp16", 2),
    "bfloat16": ("bf16", 2),
    "float64": ("fp64", 8),
    "int8": ("int8", 1),
    "uint8": ("uint8", 1),
    "int16": ("int16", 2),
    "int32": ("int32", 4),
    "int64": ("int64", 8),
    "bool": ("bool", 1),
    "complex64": ("complex64", 8),
    "complex128": ("complex128", 16),
    "float8_e4m3fn": ("fp8_e4m3", 1),
    "float8_e5m2": ("fp8_e5m2", 1),
}
ELEMENT_BYTES = {**DTYPE_BYTES, **dict(TORCH_DTYPES.values())}
_DTYPE_ALIASES = {"float32": "fp32", "float16": "fp16", "half": "fp16", "bfloat16": "bf16", "float": "fp32"}


@dataclass(frozen=True)
class Shape:
    """A tensor's shape: (C, H, W) for one sample's feature map, (features,) after a flatten; a traced network's
    shapes include the batch, as torch gives them. It behaves as a tuple of its dims, as torch.Size does (iterate,
    index, len, equal to the tuple) and prints as 3x224x224. An op that returns several tensors (an LSTM's output and
    its states) has the first one's dims and the others in `also`."""

    dims: tuple[int, ...]
    also: tuple[Shape, ...] = ()

    def __post_init__(self) -> None:
        for d in self.dims:  # a loop: quicker than any() over a generator, and a Shape is made per layer
            if type(d) is not int or d < 0:
                raise CnnCostError(f"a shape needs whole sizes of at least 0, got {self.dims!r}")

    @classmethod
    def of(cls, value: Shape | tuple[int, ...] | list[int] | str) -> Shape:
        """A Shape from a Shape, a tuple of ints or text such as '3x224x224'."""
        if isinstance(value, Shape):
            return value
        if isinstance(value, str):
            return parse_shape(value)
        dims = tuple(value)
        if not dims or any(type(d) is not int or d < 1 for d in dims):
            raise CnnCostError(f"an input size needs positive whole sizes, got {value!r}")
        return cls(dims)

    @property
    def channels(self) -> int:
        return self.dims[0]

    @property
    def spatial(self) -> tuple[int, ...]:
        return self.dims[1:]

    @property
    def numel(self) -> int:
        """Elements of the (first) tensor."""
        return prod(self.dims)

    @property
    def outputs(self) -> tuple[Shape, ...]:
        """Every tensor of the shape: itself, then those in `also`."""
        return (Shape(self.dims), *self.also) if self.also else (self,)

    @property
    def total_numel(self) -> int:
        """Elements of every tensor of the shape."""
        return prod(self.dims) + sum(shape.numel for shape in self.also) if self.also else prod(self.dims)

    def __eq__(self, other) -> bool:
        """Equal to a Shape of the same tensors, and, as torch.Size is, to the tuple of its dims."""
        if isinstance(other, Shape):
            return self.dims == other.dims and self.also == other.also
        if isinstance(other, tuple):
            return not self.also and self.dims == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dims) if not self.also else hash((self.dims, self.also))

    def __len__(self) -> int:
        return len(self.dims)

    def __iter__(self):
        return iter(self.dims)

    def __getitem__(self, index):
        return self.dims[index]

    def __str__(self) -> str:
        text = "x".join(str(d) for d in self.dims) or "scalar"
        return ", ".join([text, *map(str, self.also)]) if self.also else text


_SHAPE_TEXT = re.compile(r"^\d+(x\d+)*$")


def parse_shape(text: str) -> Shape:
    """'3x224x224' -> Shape((3, 224, 224)); also '224x224' is refused: the channels are needed."""
    cleaned = text.strip().lower().replace("×", "x").replace(",", "x")
    if not _SHAPE_TEXT.match(cleaned):
        raise CnnCostError(f"malformed size {text!r}: expected CxHxW, such as 3x224x224")
    dims = tuple(int(part) for part in cleaned.split("x"))
    if any(d == 0 for d in dims):
        raise CnnCostError(f"malformed size {text!r}: every size must be at least 1")
    return Shape(dims)


def dtype_bytes(dtype: str) -> int:
    """Bytes per element of a dtype name (fp32, fp16, bf16, int8)."""
    name = _DTYPE_ALIASES.get(dtype, dtype)
    if name not in DTYPE_BYTES:
        raise UnknownNameError(f"unknown dtype {dtype!r}; known: {', '.join(DTYPE_BYTES)}")
    return DTYPE_BYTES[name]


def element_bytes(dtype: str) -> int:
    """Bytes per element of any dtype a tensor may hold (fp32, int64, bool, ...)."""
    return ELEMENT_BYTES[dtype] if dtype in ELEMENT_BYTES else dtype_bytes(dtype)


def dtype_name(torch_dtype) -> str:
    """cnncost's name of a torch dtype: fp32 for torch.float32, int64 for torch.int64."""
    name = str(torch_dtype).removeprefix("torch.")
    return TORCH_DTYPES.get(name, (name, 0))[0]


def canonical_dtype(dtype: str) -> str:
    """fp32 for 'float32' and the like; the name itself if already canonical."""
    dtype_bytes(dtype)
    return _DTYPE_ALIASES.get(dtype, dtype)
