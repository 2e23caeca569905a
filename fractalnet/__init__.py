"""FractalNet in Keras 3, as built chapter by chapter in the book.

The modules below are generated from the chapters (see `tools/export_chapters.py`): the
code a reader sees in a chapter is the code this package runs.

- `checks`, `layers`, `drop_path`, `model` (chapters 3-5): the network.
- `data`, `training`, `runner`, `results`, `experiments` (chapter 6): the data, the
  recipe, the one pipeline that runs an experiment, the store of results and the list
  of the book's experiments.
- `claims`, `cost` (chapters 6-7): measures of the paper's claims.
- `distribute`, `command` (the appendix): many devices, and the training command.

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
    compile_classifier,
    copy_model,
    create_fractal_net,
    evaluate_columns,
    find_fractal_net,
    recalibrate_batch_norm,
    sample_network_draw,
    standalone_column_model,
)
from fractalnet.data import (
    load_cifar10,
    load_data,
    load_fashion_mnist,
    make_dataset,
    split_validation,
)
from fractalnet.training import (
    HalvingDecay,
    RecalibrateBatchNorm,
    baseline_net,
    compile_recipe,
    paper_fractal_net,
    train_with_checkpoints,
)

# Registers the model class that multi-worker runs save, so that their `model.keras`
# loads after `import fractalnet`, as every other saved model of the package does.
from fractalnet import distribute
from fractalnet.runner import experiment_config, run_experiment

# last: the store reads the package it belongs to
from fractalnet import results

__all__ = [
    "baseline_net",
    "block_column",
    "column_keep",
    "compile_classifier",
    "compile_recipe",
    "ConvBlock",
    "copy_model",
    "create_fractal_net",
    "distribute",
    "DropPath",
    "evaluate_columns",
    "expand_fractal",
    "experiment_config",
    "find_fractal_net",
    "fractal_joins",
    "FractalBlock",
    "FractalNet",
    "HalvingDecay",
    "Join",
    "load_cifar10",
    "load_data",
    "load_fashion_mnist",
    "make_dataset",
    "MAX_COLUMNS",
    "paper_fractal_net",
    "recalibrate_batch_norm",
    "RecalibrateBatchNorm",
    "results",
    "run_experiment",
    "sample_global_column",
    "sample_local_keep",
    "sample_network_draw",
    "split_validation",
    "standalone_column_model",
    "train_with_checkpoints",
]
