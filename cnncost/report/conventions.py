"""The counting conventions, stated once and printed under every table and in every export."""

CONVENTIONS = (
    "1 MAC = one multiply-accumulate of a conv, linear or matmul layer = 2 FLOPs; bias additions are not counted. "
    "Pooling costs output elements x window size; elementwise layers cost FLOPs per output element "
    "(activation 1, batch norm 2, add or multiply 1 per extra input); MACs count conv, linear and matmul layers "
    "only. Concat, slice (a channel split), channel shuffle, flatten and reshape move data and cost no FLOPs. "
    "Memory is each layer's output, elements x batch x bytes per element, KB = 1024 bytes, MB = 1024 KB; "
    "in-place layers (ReLU inplace, dropout at inference) reuse their input's memory and are shown in the row "
    "of the layer they follow. Params are weights and biases; batch-norm running statistics are buffers, "
    "counted apart. A '?' marks an op without a cost formula: its cost is unknown, not zero."
)
