"""Trains a logistic-regression classifier on generated data, with the standard library only.

Prints its progress, logs params and metrics into the job's run with the stdlib `cairn` module
(the same calls as mlflow.log_param / mlflow.log_metric), and writes outputs/model.json, which
Cairn collects with the job.
"""
import argparse
import json
import math
import os
import random
import time

import cairn  # on every Cairn job's PYTHONPATH; prints instead of logging outside a job


def make_data(n, seed):
    rng = random.Random(seed)
    true_w, true_b = [2.0, -3.0, 0.5], 0.25
    rows = []
    for _ in range(n):
        x = [rng.gauss(0, 1) for _ in true_w]
        z = sum(w * xi for w, xi in zip(true_w, x)) + true_b
        y = 1 if rng.random() < 1 / (1 + math.exp(-z)) else 0
        rows.append((x, y))
    return rows


def sigmoid(z):
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))


def train(rows, lr, epochs):
    w, b = [0.0] * len(rows[0][0]), 0.0
    for epoch in range(1, epochs + 1):
        gw, gb, loss, correct = [0.0] * len(w), 0.0, 0.0, 0
        for x, y in rows:
            p = sigmoid(sum(wi * xi for wi, xi in zip(w, x)) + b)
            loss -= y * math.log(p + 1e-12) + (1 - y) * math.log(1 - p + 1e-12)
            correct += int((p > 0.5) == bool(y))
            for i, xi in enumerate(x):
                gw[i] += (p - y) * xi
            gb += p - y
        n = len(rows)
        w = [wi - lr * g / n for wi, g in zip(w, gw)]
        b -= lr * gb / n
        print(f"epoch {epoch:3d}  loss {loss / n:.4f}  accuracy {correct / n:.3f}", flush=True)
        cairn.log_metrics({"loss": loss / n, "accuracy": correct / n}, step=epoch)
    return w, b, loss / len(rows), correct / len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--samples", type=int, default=2000)
    args = ap.parse_args()
    started = time.time()
    cairn.log_params({"lr": args.lr, "epochs": args.epochs, "samples": args.samples})
    print(f"generating {args.samples} samples; training for {args.epochs} epochs at lr={args.lr}", flush=True)
    w, b, loss, acc = train(make_data(args.samples, seed=7), args.lr, args.epochs)
    out = os.environ.get("CAIRN_OUTPUTS_DIR", "outputs")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.json"), "w") as f:
        json.dump({"weights": w, "bias": b, "loss": loss, "accuracy": acc, "seconds": round(time.time() - started, 3)}, f, indent=2)
    print(f"done: accuracy {acc:.3f}; model written to outputs/model.json", flush=True)


if __name__ == "__main__":
    main()
