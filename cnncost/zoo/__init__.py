"""Built-in architectures. Importing this package registers every family's members."""

from . import alexnet, googlenet, resnet, vgg  # noqa: F401  (registration side effects)
from .registry import Architecture, architecture, create, list_models, register_model

__all__ = ["Architecture", "architecture", "create", "list_models", "register_model"]
