"""Built-in architectures. Importing this package registers every family's members."""

# registration order is listing order: the ImageNet story, then the efficient networks that followed it
from . import alexnet, vgg, googlenet, resnet, inception_v3, densenet  # noqa: F401, I001
from . import squeezenet, mobilenet, shufflenet  # noqa: F401, I001
from . import block_graphs  # noqa: F401  (registers the blocks)
from .registry import Architecture, architecture, create, list_blocks, list_models, register_block, register_model

__all__ = ["Architecture", "architecture", "create", "list_blocks", "list_models", "register_block", "register_model"]
