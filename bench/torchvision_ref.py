#!/usr/bin/env python3
"""torchvision reference for bench/vs-torchvision.ts: the same Mask R-CNN as Fieldwork's run config,
built by the torchvision model the app exports (resources/interop/torchvision/fieldwork_model.py: GN
ResNet, GN FPN P2-P6, RPN, box head, GN conv mask head, Fieldwork's init), on the same batch file. A long-lived worker: reads commands on stdin, one JSON line per reply.

  python3 bench/torchvision_ref.py --config cfg.json --batch batch.json [--threads 2]
  stdin:  info | train N | predict N | quit
  stdout: {"info": ...} | {"times": [seconds per step...]} ...

cfg.json is Fieldwork's RunConfig (trainer/config.ts) plus numClasses; batch.json names a raw
float32 [B, H, W, 3] image file (already normalised) and per-image boxes, classes and full-image
0/1 masks (raw uint8 file), written by the TypeScript side so both train on identical data.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np
import torch

# The model the app ships for `fieldwork export-run --engine torchvision` (resources/interop/torchvision/),
# so the benchmark times exactly the architecture, anchors, RoIAlign and init that Fieldwork exports.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "interop", "torchvision"))
from fieldwork_model import build_model  # noqa: E402


def blas_info():
    """Which BLAS this process really uses: the mapped library and a measured matmul rate."""
    a = torch.randn(512, 512)
    a @ a
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if any(k in p for k in ("blas", "mkl", "lapack")):
                libs.add(os.path.realpath(p))
    n, reps = 1024, 8
    a = torch.randn(n, n)
    a @ a
    t = time.perf_counter()
    for _ in range(reps):
        a @ a
    gflops = 2 * n ** 3 * reps / (time.perf_counter() - t) / 1e9
    alt = ""
    try:
        out = subprocess.run(["update-alternatives", "--query", "libblas.so.3-x86_64-linux-gnu"], capture_output=True, text=True).stdout
        alt = next((l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Value:")), "")
    except OSError:
        pass
    kind = "openblas" if any("openblas" in l for l in libs) else "mkl" if any("mkl" in l for l in libs) else "reference/unknown"
    return {"blas": kind, "blasLibraries": sorted(libs), "blasAlternative": alt, "matmul1024Gflops": round(gflops, 1)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--config", required=True)
    ap.add_argument("--batch", required=True)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg = json.load(open(args.config))
    batch = json.load(open(args.batch))
    B, H, W = batch["B"], batch["H"], batch["W"]
    imgs = np.fromfile(batch["imagesFile"], dtype=np.float32).reshape(B, H, W, 3)
    images = [torch.from_numpy(imgs[b].transpose(2, 0, 1).copy()) for b in range(B)]
    masks_all = np.fromfile(batch["masksFile"], dtype=np.uint8)
    targets, off = [], 0
    for g in batch["gt"]:
        n = len(g["classes"])
        m = masks_all[off:off + n * H * W].reshape(n, H, W)
        off += n * H * W
        targets.append({"boxes": torch.tensor(g["boxes"], dtype=torch.float32).reshape(n, 4),
                        "labels": torch.tensor(g["classes"], dtype=torch.int64), "masks": torch.from_numpy(m.copy())})
    model = build_model(cfg, cfg["numClasses"])
    s = cfg["solver"]
    opt = torch.optim.SGD(model.parameters(), lr=cfg.get("benchLr", 0.001), momentum=s["momentum"], weight_decay=s["weightDecay"])

    def reply(obj):
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()

    for line in sys.stdin:
        cmd = line.split()
        if not cmd:
            continue
        if cmd[0] == "quit":
            break
        if cmd[0] == "info":
            reply({"info": {"torch": torch.__version__, "torchvision": __import__("torchvision").__version__, "threads": torch.get_num_threads(),
                            "interopThreads": torch.get_num_interop_threads(), "params": sum(p.numel() for p in model.parameters()), **blas_info()}})
            continue
        n = int(cmd[1])
        times, detections = [], 0
        if cmd[0] == "train":
            model.train()
            for _ in range(n):
                t = time.perf_counter()
                losses = model(images, targets)
                loss = sum(losses.values())
                opt.zero_grad()
                loss.backward()
                opt.step()
                times.append(time.perf_counter() - t)
        elif cmd[0] == "predict":
            model.eval()
            with torch.no_grad():
                for _ in range(n):
                    t = time.perf_counter()
                    out = model(images)
                    times.append(time.perf_counter() - t)
                    detections += sum(len(o["boxes"]) for o in out)
        reply({"times": times, "detections": detections, "peakRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})


if __name__ == "__main__":
    main()
