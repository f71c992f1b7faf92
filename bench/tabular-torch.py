"""The tabular recipes of bench/tabular.ts in PyTorch: the same encoded rows, splits, preprocessing, network and Adam.

Reads the recipes as JSON on stdin and prints one JSON line per recipe and seed: the held-out metric. Not a test
dependency: bench/tabular.ts runs it only when python3 can import torch.
"""
import json
import math
import sys

import torch
from torch_loop import fit_adam, glorot


def standardize(train, rows):
    """Per-feature mean and std of the training rows, missing values (NaN) left out; then NaN becomes 0."""
    mask = ~torch.isnan(train)
    counts = mask.sum(0).clamp(min=1)
    filled = torch.where(mask, train, torch.zeros_like(train))
    mean = filled.sum(0) / counts
    var = (torch.where(mask, train - mean, torch.zeros_like(train)) ** 2).sum(0) / counts
    std = torch.where(var > 1e-12, var.sqrt(), torch.ones_like(var))
    out = (rows - mean) / std
    return torch.where(torch.isnan(out), torch.zeros_like(out), out)


def network(inputs, hidden, outputs, seed):
    torch.manual_seed(seed)
    layers, width = [], inputs
    for units in hidden:
        layers += [torch.nn.Linear(width, units), torch.nn.ReLU()]
        width = units
    layers.append(torch.nn.Linear(width, outputs))
    return glorot(torch.nn.Sequential(*layers))


def run(recipe, seed):
    # Missing values come as the string "NaN" (JSON has no NaN).
    rows = lambda part: torch.tensor([[float(v) for v in row] for row in recipe[part]["x"]], dtype=torch.float32)
    x_train, x_val = rows("train"), rows("validation")
    x_train, x_val = standardize(x_train, x_train), standardize(x_train, x_val)
    regression = recipe["task"] == "regression"
    y_train = torch.tensor(recipe["train"]["y"], dtype=torch.float32 if regression else torch.long)
    y_val = torch.tensor(recipe["validation"]["y"], dtype=torch.float32 if regression else torch.long)
    if regression:
        mean, std = y_train.mean(), y_train.std(unbiased=False)
        target = ((y_train - mean) / std).unsqueeze(1)
        loss_fn = torch.nn.HuberLoss(delta=1.0) if recipe["loss"] == "huber" else torch.nn.MSELoss()
        outputs = 1
    else:
        target = y_train
        loss_fn = torch.nn.CrossEntropyLoss()
        outputs = recipe["classes"]
    model = network(x_train.shape[1], recipe["hiddenUnits"], outputs, seed)
    fit_adam(model, x_train, target, loss_fn, recipe, seed)
    with torch.no_grad():
        out = model(x_val)
    if regression:
        predicted = out.squeeze(1) * std + mean
        error = predicted - y_val
        r2 = 1 - (error**2).mean() / y_val.var(unbiased=False)
        return {"r2": r2.item(), "mae": error.abs().mean().item(), "rmse": math.sqrt((error**2).mean().item())}
    return {"accuracy": (out.argmax(1) == y_val).float().mean().item()}


def main():
    torch.set_num_threads(1)
    for recipe in json.load(sys.stdin):
        for seed in recipe["seeds"]:
            print(json.dumps({"recipe": recipe["name"], "seed": seed, **run(recipe, seed)}), flush=True)


main()
