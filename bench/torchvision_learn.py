#!/usr/bin/env python3
"""torchvision side of bench/vs-torchvision-learning.ts: trains the same Mask R-CNN as Fieldwork's run
config (built by the exported model, resources/interop/torchvision/fieldwork_model.py) from random init on the synthetic set the
TypeScript side exported, and pauses every ~`--eval-every` seconds of training time to predict the
val images and write their COCO results JSON. The parent scores that file with Fieldwork's
evaluateCoco and answers `go` or `stop` on stdin.

  python3 bench/torchvision_learn.py --config cfg.json --data data.json --out DIR [--threads 2]
                                     [--eval-every 60] [--seed 1]
  stdout: {"eval": k, "file": ..., "iteration": i, "trainSeconds": s, "evalSeconds": s} per pause,
          then {"done": ..., "peakRssMb": ...}

cfg.json: Fieldwork's resolved RunConfig plus numClasses and totalIterations (for the LR schedule).
data.json: per split, a raw uint8 [N, H, W, 3] pixel file and a raw uint8 mask file (row-major
full-image 0/1 masks of every instance, image by image), and per image its COCO id, xyxy boxes and
category ids (used directly as torchvision labels 1..K; 0 is background).
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

# The model, normalisation and LR schedule the app ships for `fieldwork export-run --engine torchvision`.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "interop", "torchvision"))
from fieldwork_model import PIXEL_MEAN, PIXEL_SCALE, build_model  # noqa: E402
from train import lr_at  # noqa: E402


def load_split(d, H, W):
    n = len(d["images"])
    px = np.fromfile(d["pixelsFile"], dtype=np.uint8).reshape(n, H, W, 3)
    masks = np.fromfile(d["masksFile"], dtype=np.uint8)
    out, off = [], 0
    for b, im in enumerate(d["images"]):
        k = len(im["labels"])
        img = torch.from_numpy(((px[b].astype(np.float32) - PIXEL_MEAN) * PIXEL_SCALE).transpose(2, 0, 1).copy())
        m = torch.from_numpy(masks[off:off + k * H * W].reshape(k, H, W).copy())
        off += k * H * W
        out.append({"id": im["id"], "image": img, "boxes": torch.tensor(im["boxes"], dtype=torch.float32).reshape(k, 4),
                    "labels": torch.tensor(im["labels"], dtype=torch.int64), "masks": m})
    return out


def flipped(rec, W):
    b = rec["boxes"].clone()
    b[:, 0], b[:, 2] = W - rec["boxes"][:, 2], W - rec["boxes"][:, 0]
    return rec["image"].flip(-1), {"boxes": b, "labels": rec["labels"], "masks": rec["masks"].flip(-1)}


def column_major_runs(m):
    """Uncompressed COCO RLE counts of a 0/1 mask (column-major runs, starting with zeros)."""
    f = m.T.reshape(-1).astype(np.uint8)
    change = np.flatnonzero(f[1:] != f[:-1]) + 1
    counts = np.diff(np.concatenate([[0], change, [len(f)]])).tolist()
    return ([0] + counts) if len(f) and f[0] == 1 else counts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    # bench/real.ts: train exactly this many iterations, evaluate once at the end, with masks.
    ap.add_argument("--iterations", type=int, default=0)
    ap.add_argument("--masks", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    cfg = json.load(open(args.config))
    data = json.load(open(args.data))
    H, W = data["H"], data["W"]
    train, val = load_split(data["train"], H, W), load_split(data["val"], H, W)
    model = build_model(cfg, cfg["numClasses"])
    s, total = cfg["solver"], cfg["totalIterations"]
    # Weight decay on conv / fc weights only (none on GN scale/shift and biases), as trainer/optim.ts.
    decay = [p for p in model.parameters() if p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": s["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=lr_at(s, 0, total, s["imsPerBatch"]), momentum=s["momentum"])
    B, hflip, clip = s["imsPerBatch"], cfg["input"]["hflip"], s["clipGradNorm"]

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    reply({"info": {"torch": torch.__version__, "torchvision": __import__("torchvision").__version__, "threads": torch.get_num_threads(),
                    "params": sum(p.numel() for p in model.parameters()), "train": len(train), "val": len(val)}})
    order, pos, it = rng.permutation(len(train)), 0, 0
    train_seconds, eval_seconds, k = 0.0, 0.0, 0
    next_eval = args.eval_every
    while True:
        t = time.perf_counter()
        model.train()
        images, targets = [], []
        for _ in range(B):
            if pos == len(order):
                order, pos = rng.permutation(len(train)), 0
            rec = train[order[pos]]
            pos += 1
            if hflip and rng.random() < 0.5:
                img, tgt = flipped(rec, W)
            else:
                img, tgt = rec["image"], {"boxes": rec["boxes"], "labels": rec["labels"], "masks": rec["masks"]}
            images.append(img)
            targets.append(tgt)
        for g in opt.param_groups:
            g["lr"] = lr_at(s, it, total, s["imsPerBatch"])
        losses = model(images, targets)
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            raise RuntimeError(f"loss is {loss.item()} at iteration {it}")
        opt.zero_grad()
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        it += 1
        train_seconds += time.perf_counter() - t
        last = args.iterations > 0 and it >= args.iterations
        if not last and (args.iterations > 0 or train_seconds < next_eval):
            continue
        # Evaluation (not on the training clock): predict val at test scale, no flip.
        t = time.perf_counter()
        model.eval()
        results = []
        with torch.no_grad():
            for i in range(0, len(val), B):
                part = val[i:i + B]
                for rec, o in zip(part, model([r["image"] for r in part])):
                    masks = (o["masks"][:, 0] >= 0.5).numpy() if args.masks else [None] * len(o["boxes"])
                    for box, label, score, m in zip(o["boxes"].tolist(), o["labels"].tolist(), o["scores"].tolist(), masks):
                        x1, y1, x2, y2 = box
                        r = {"image_id": rec["id"], "category_id": int(label), "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(score)}
                        if m is not None:
                            r["segmentation"] = {"size": list(m.shape), "counts": column_major_runs(m)}
                        results.append(r)
        k += 1
        path = os.path.join(args.out, f"tv-results-{k:03d}.json")
        with open(path, "w") as f:
            json.dump(results, f)
        dt = time.perf_counter() - t
        eval_seconds += dt
        reply({"eval": k, "file": path, "iteration": it, "trainSeconds": train_seconds, "evalSeconds": dt, "lossTotal": float(loss.item()),
               "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
        answer = sys.stdin.readline().strip()
        if answer != "go" or last:
            break
        next_eval += args.eval_every
    reply({"done": True, "iteration": it, "trainSeconds": train_seconds, "evalSecondsTotal": eval_seconds,
           "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
