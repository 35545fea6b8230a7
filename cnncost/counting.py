"""How cnncost counts, stated once: printed under every table and carried in every export."""

COUNTING_RULES = (
    "1 MAC = one multiply-accumulate of a convolution (transposed too), linear layer, matrix product, einsum, "
    "attention or recurrent layer = 2 FLOPs; bias additions are not counted; MACs count these layers only, as "
    "torch.utils.flop_counter does. Pooling costs output elements x window size; elementwise layers cost FLOPs per "
    "output element (activation 1, batch norm 2, layer, group or instance norm 5 plus 1 per affine term, add or "
    "multiply 1 per extra input, softmax 3); interpolation 0 (nearest) to 31 (bicubic) per output element. Concat, "
    "slice, permute, reshape, flatten, pad and pixel or channel shuffles move data and cost no FLOPs "
    "(`cnncost formulas` lists every layer type's). Memory is each layer's output, elements x batch x bytes per "
    "element, KB = 1024 bytes, MB = 1024 KB; in-place layers (ReLU inplace, dropout at inference) reuse their "
    "input's memory and are shown in the row of the layer they follow. Params are weights and biases; batch-norm "
    "running statistics are buffers, counted apart. A '?' marks an op without a cost formula: its cost is unknown, "
    "not zero, and a total that leaves it out says so (+?)."
)

# The line under a terminal's table: what a MAC, a FLOP and a KB are, and where the rest is
COUNTING_BRIEF = (
    "1 MAC = 2 FLOPs: multiply-adds of convolutions, linear layers, matrix products, attention and recurrent layers, "
    "biases not counted; KB = 1024 bytes; '?' an op without a formula. `cnncost formulas` gives every layer type's "
    "cost; --format md or html prints it all."
)
