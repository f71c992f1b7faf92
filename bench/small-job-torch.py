"""The small transfer job of bench/small-job.ts in PyTorch: the same CNN, rows, split, head and Adam.

Reads the rows (already scaled as the service scales them) and settings as JSON on stdin. Trains the base on
digits 0-4 (untimed), then a new head on its frozen `features` (the flattened last pooling) for digits 5-9,
two ways: running the frozen base over every batch of every epoch, and on features computed once. Each way is run
once untimed, then timed WARM_RUNS times; the median counts. Prints one JSON object. Not a test dependency: bench/small-job.ts runs it only when python3 can import torch.
"""
import json
import statistics
import sys
import time

import torch
from torch_loop import fit_adam, glorot

# Each timing is taken on 1 and on 2 threads, the faster kept: on a shared 2-core machine 1 is often the faster.
THREADS = (1, 2)
WARM_RUNS = 3


def tensors(part):
    x = torch.tensor(part["x"], dtype=torch.float32).reshape(-1, 1, 8, 8)
    return x, torch.tensor(part["y"], dtype=torch.long)


def features_of(filters):
    """Same-padded 3x3 convolutions, each with ReLU and a 2x2 max pool, then flattened: the cut `features`."""
    layers, channels = [], 1
    for count in filters:
        conv = torch.nn.Conv2d(channels, count, 3, padding="same")
        layers += [conv, torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        channels = count
    layers.append(torch.nn.Flatten())
    return glorot(torch.nn.Sequential(*layers))


def head_of(inputs, units, dropout, classes):
    layers = [torch.nn.Linear(inputs, units), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
    return glorot(torch.nn.Sequential(*layers, torch.nn.Linear(units, classes)))


def fit(model, x, y, settings, seed, inputs=None):
    fit_adam(model, x, y, torch.nn.CrossEntropyLoss(), settings, seed, inputs)


def accuracy(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    torch.set_num_threads(max(THREADS))
    job = json.load(sys.stdin)
    seed, classes = job["seed"], job["classes"]
    torch.manual_seed(seed)
    base_x, base_y = tensors(job["base"]["train"])
    base_val_x, base_val_y = tensors(job["base"]["validation"])
    features = features_of(job["filters"])
    width = features(base_x[:1]).shape[1]
    base = torch.nn.Sequential(features, head_of(width, job["denseUnits"], job["baseDropout"], classes))
    fit(base, base_x, base_y, job["base"], seed)
    base_accuracy = accuracy(base, base_val_x, base_val_y)
    for parameter in features.parameters():
        parameter.requires_grad_(False)
    features.eval()

    x, y = tensors(job["train"])
    val_x, val_y = tensors(job["validation"])
    h = job["head"]

    def frozen(rows):
        with torch.no_grad():
            return features(rows)

    def once(cached):
        torch.manual_seed(seed + 1)
        head = head_of(width, h["hiddenUnits"][0], h["dropout"], classes)
        started = time.perf_counter()
        if cached:
            fit(head, frozen(x), y, h, seed)
        else:
            fit(head, x, y, h, seed, inputs=frozen)
        return time.perf_counter() - started, accuracy(head, frozen(val_x), val_y)

    def timed(cached, threads):
        """One untimed run, then the median of WARM_RUNS timed ones."""
        torch.set_num_threads(threads)
        once(cached)
        runs = [once(cached) for _ in range(WARM_RUNS)]
        seconds = statistics.median(seconds for seconds, _ in runs)
        return {"seconds": seconds, "accuracy": runs[-1][1], "threads": threads}

    variants = []
    for name, cached in (("through the frozen base every epoch", False), ("on features computed once", True)):
        fastest = min((timed(cached, threads) for threads in THREADS), key=lambda run: run["seconds"])
        variants.append({"variant": name, **fastest})
    figures = {
        "version": torch.__version__,
        "threads": f"the median of {WARM_RUNS} warm runs, on the faster of 1 and 2",
        "baseAccuracy": base_accuracy,
    }
    print(json.dumps({**figures, "variants": variants}))


main()
