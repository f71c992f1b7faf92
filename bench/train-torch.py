"""bench:train's CNNs from scratch in PyTorch: the same layers, rows, epochs, batch size and Adam.

Reads {x (rows of 64 pixels, scaled as the service scales them), y, classes, filters, denseUnits, dropout, epochs,
batchSize, learningRate, seed, warmRuns} as JSON on stdin. On 1 and on 2 threads, trains once untimed (warm-up),
then times warmRuns more runs from fresh weights and takes their median; prints the faster as one JSON object (on a
shared 2-core machine, 1 thread is often the faster). Not a test dependency: bench/train.ts runs it only when python3 can import torch.
"""
import json
import statistics
import sys
import time

import torch
from torch_loop import fit_adam, glorot

THREADS = (1, 2)


def cnn(filters, dense_units, dropout, classes):
    """Same-padded 3x3 convolutions with ReLU and a 2x2 max pool each, flattened, Dense + dropout, classifier."""
    layers, channels, size = [], 1, 8
    for count in filters:
        layers += [torch.nn.Conv2d(channels, count, 3, padding="same"), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
        channels, size = count, size // 2
    width = channels * size * size
    layers += [torch.nn.Flatten(), torch.nn.Linear(width, dense_units), torch.nn.ReLU(), torch.nn.Dropout(dropout)]
    return glorot(torch.nn.Sequential(*layers, torch.nn.Linear(dense_units, classes)))


def train(job, x, y):
    model = cnn(job["filters"], job["denseUnits"], job["dropout"], job["classes"])
    fit_adam(model, x, y, torch.nn.CrossEntropyLoss(), job, job["seed"])
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    job = json.load(sys.stdin)
    x = torch.tensor(job["x"], dtype=torch.float32).reshape(-1, 1, 8, 8)
    y = torch.tensor(job["y"], dtype=torch.long)
    runs = []
    for threads in THREADS:
        torch.set_num_threads(threads)
        torch.manual_seed(job["seed"])
        train(job, x, y)
        timed = []
        for _ in range(job["warmRuns"]):
            started = time.perf_counter()
            accuracy = train(job, x, y)
            timed.append(time.perf_counter() - started)
        runs.append({"threads": threads, "seconds": statistics.median(timed), "accuracy": accuracy})
    print(json.dumps({"version": torch.__version__, **min(runs, key=lambda run: run["seconds"])}))


main()
