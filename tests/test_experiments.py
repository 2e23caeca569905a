"""The registry's comparisons change one thing at a time (chapter 6's matched
comparison, its seeds, its exercises), checked on the configurations and the networks
they build."""

import pytest
from fractalnet import FractalNet
from fractalnet.cost import conv_count
from fractalnet.experiments import (
    CHAPTER_6,
    DROP_PATH_SETTINGS,
    EXPERIMENTS,
    SEEDS,
    SHORT_BUDGET,
)
from fractalnet.training import baseline_net

COMPARED = ("ablation_none", "ablation_mixed", "matched_plain", "matched_resnet")
NETWORK = ("architecture", "block_columns", "baseline_blocks", "filters")
DROP_PATH = ("local_drop_rate", "global_ratio")


def seed_names(name):
    return [name if seed == 0 else f"{name}_seed{seed}" for seed in SEEDS]


def without(config, keys):
    return {key: value for key, value in config.items() if key not in keys}


def build(config):
    if config["architecture"] == "fractalnet":
        return FractalNet(
            columns=config["block_columns"],
            filters=config["filters"],
            input_shape=(28, 28, 1),
        )
    return baseline_net(
        config["architecture"],
        config["baseline_blocks"],
        config["filters"],
        image_shape=(28, 28, 1),
    )


def kernels_3x3(model):
    shapes = [tuple(weight.shape) for weight in model.weights]
    return sum(len(shape) == 4 and shape[:2] == (3, 3) for shape in shapes)


@pytest.mark.parametrize("name", COMPARED)
def test_each_compared_network_has_three_seeds_that_differ_only_in_the_seed(name):
    configs = [CHAPTER_6[n] for n in seed_names(name)]
    assert [config["seed"] for config in configs] == list(SEEDS) == [0, 1, 2]
    assert all(without(c, {"seed"}) == without(configs[0], {"seed"}) for c in configs)


def test_the_compared_networks_share_data_recipe_and_budget():
    configs = [CHAPTER_6[name] for name in COMPARED]
    shared = [without(config, NETWORK + DROP_PATH) for config in configs]
    assert all(config == shared[0] for config in shared)
    assert all(configs[0][key] == value for key, value in SHORT_BUDGET.items()), (
        configs[0]
    )
    # the two FractalNets differ in drop-path alone, the paper's mixed setting or none
    none, mixed = configs[:2]
    assert without(none, DROP_PATH) == without(mixed, DROP_PATH)
    assert {key: none[key] for key in DROP_PATH} == DROP_PATH_SETTINGS["none"]
    assert {key: mixed[key] for key in DROP_PATH} == DROP_PATH_SETTINGS["mixed"]


def test_the_baselines_match_the_fractalnets_depth_and_parameters():
    fractal, plain, resnet = (
        build(CHAPTER_6[name])
        for name in ("ablation_none", "matched_plain", "matched_resnet")
    )
    _, deepest = conv_count(fractal)
    # the plain chain is as deep as the deepest column; the ResNet adds its stem
    assert kernels_3x3(plain) == deepest == 12
    assert kernels_3x3(resnet) == deepest + 1
    for baseline in (plain, resnet):
        assert abs(baseline.count_params() / fractal.count_params() - 1) <= 0.10


def test_the_goal_run_trains_the_compared_fractalnet_wider_on_all_the_data():
    goal, compared = CHAPTER_6["fashion_fractalnet"], CHAPTER_6["ablation_none"]
    assert goal["train_subset"] is None and goal["validation_fraction"] == 0.1
    assert goal["block_columns"] == compared["block_columns"]
    assert goal["filters"] == [2 * f for f in compared["filters"]]
    assert goal["epochs"] > compared["epochs"]


def test_the_exercises_run_in_float32_on_a_small_budget():
    names = [name for name in EXPERIMENTS if name.startswith("exercise_")]
    assert names == ["exercise_6_2_mixed", "exercise_6_2_local"]
    for name in names:
        config = EXPERIMENTS[name]
        assert config["precision"] == "float32"
        assert config["train_subset"] * config["epochs"] <= 30_000, name
