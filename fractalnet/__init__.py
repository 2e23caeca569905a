"""FractalNet in Keras 3, as built chapter by chapter in the book.

The modules below are generated from the chapters (see `tools/export_chapters.py`): the
code a reader sees in a chapter is the code this package runs.

Importing the package changes nothing in the process: no environment variable, no
redirected stream. (The chapters keep TensorFlow's start-up notices off the page in
their own set-up cell.)
"""

from fractalnet.checks import MAX_COLUMNS
from fractalnet.layers import (
    ConvBlock,
    FractalBlock,
    Join,
    column_keep,
    expand_fractal,
    fractal_joins,
)
from fractalnet.drop_path import DropPath, sample_global_column, sample_local_keep
from fractalnet.model import (
    FractalNet,
    block_column,
    create_fractal_net,
    evaluate_columns,
    recalibrate_batch_norm,
    sample_network_draw,
    standalone_column_model,
)

from fractalnet.data import (
    load_cifar10,
    load_fashion_mnist,
    make_dataset,
    split_validation,
)
from fractalnet.training import (
    HalvingDecay,
    baseline_net,
    compile_paper_recipe,
    paper_fractal_net,
    train_with_checkpoints,
)

# last: the results store reads the package it belongs to
from fractalnet import results

# Registers the model class that multi-worker runs save, so that their `model.keras`
# loads after `import fractalnet`, as every other saved model of the package does.
from fractalnet import distribute

__all__ = [
    "baseline_net",
    "block_column",
    "column_keep",
    "compile_paper_recipe",
    "ConvBlock",
    "create_fractal_net",
    "distribute",
    "DropPath",
    "evaluate_columns",
    "expand_fractal",
    "fractal_joins",
    "FractalBlock",
    "FractalNet",
    "HalvingDecay",
    "Join",
    "load_cifar10",
    "load_fashion_mnist",
    "make_dataset",
    "MAX_COLUMNS",
    "paper_fractal_net",
    "recalibrate_batch_norm",
    "results",
    "sample_global_column",
    "sample_local_keep",
    "sample_network_draw",
    "split_validation",
    "standalone_column_model",
    "train_with_checkpoints",
]
