"""Built-in architectures. Importing this package registers every family's members."""

from . import alexnet, googlenet, resnet, vgg  # noqa: F401  (registration side effects)
from . import block_graphs  # noqa: F401  (registers the blocks)
from .registry import Architecture, architecture, create, list_blocks, list_models, register_block, register_model

__all__ = ["Architecture", "architecture", "create", "list_blocks", "list_models", "register_block", "register_model"]
