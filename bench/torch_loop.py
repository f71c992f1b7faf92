"""What the benches' PyTorch scripts share: TF.js's default initialisation, and Adam over seeded shuffled batches."""
import torch


def glorot(module):
    """TF.js's defaults: Glorot-uniform kernels, zero biases."""
    for layer in module.modules():
        if isinstance(layer, (torch.nn.Linear, torch.nn.Conv2d)):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.zeros_(layer.bias)
    return module


def fit_adam(model, x, y, loss_fn, settings, seed, inputs=None):
    """`settings`: epochs, batchSize, learningRate. `inputs` turns a batch of rows into what `model` takes."""
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["learningRate"], betas=(0.9, 0.999), eps=1e-7)
    generator = torch.Generator().manual_seed(seed)
    batch = settings["batchSize"]
    model.train()
    for _ in range(settings["epochs"]):
        order = torch.randperm(x.shape[0], generator=generator)
        for start in range(0, len(order), batch):
            rows = order[start : start + batch]
            xs = inputs(x[rows]) if inputs else x[rows]
            optimizer.zero_grad()
            loss_fn(model(xs), y[rows]).backward()
            optimizer.step()
    model.eval()
