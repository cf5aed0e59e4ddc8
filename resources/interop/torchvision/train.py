#!/usr/bin/env python3
"""Trains this exported Fieldwork run with PyTorch DistributedDataParallel (torchrun), from random init.

  torchrun --nproc_per_node=8 train.py                       # one machine, 8 GPUs (nccl)
  torchrun --nproc_per_node=2 train.py --iterations 20       # CPU smoke test (gloo)
  torchrun --nnodes=2 --node_rank=R --master_addr=HOST --master_port=29500 --nproc_per_node=8 train.py

The model is Fieldwork's (fieldwork_model.py builds it from fieldwork-run.json), the solver is the run's:
SGD (momentum, weight decay on conv/fc weights only), LR = baseLr x total batch / 16 (linear scaling),
linear warm-up, /10 at the run's drop points from the end, the same number of epochs. Each process
takes --ims-per-process images per step (default: the run's batch / processes, at least 1); a
DistributedSampler deals the train split out. Writes into --output (default output/):
metrics.jsonl, checkpoint.pth (every solver.checkpointEveryIterations and at the end; --resume
continues from it), model_final.pth and model_final.safetensors (the weights Fieldwork imports),
coco_instances_results.json (val predictions, COCO results format, as Detectron2 names them).
"""
import argparse
import json
import math
import os
import random
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fieldwork_model as fm  # noqa: E402


class CocoSplit(Dataset):
    """One split's COCO JSON: images resized like Fieldwork (random train short side, flip), boxes and masks."""

    def __init__(self, path, cfg, class_of, train):
        self.coco = json.load(open(path))
        self.dir = os.path.dirname(os.path.abspath(path))
        self.cfg, self.class_of, self.train = cfg, class_of, train
        self.anns = {}
        for a in self.coco["annotations"]:
            if not a.get("iscrowd", 0) and a["category_id"] in class_of:
                self.anns.setdefault(a["image_id"], []).append(a)

    def __len__(self):
        return len(self.coco["images"])

    def __getitem__(self, i):
        rec = self.coco["images"][i]
        inp = self.cfg["input"]
        side = random.choice(inp["trainShortSides"]) if self.train else inp["testShortSide"]
        flip = self.train and inp["hflip"] and random.random() < 0.5
        image, sx, sy = fm.prepare_image(Image.open(fm.resolve_image(rec["file_name"], self.dir)), side, inp["maxSize"], flip)
        h, w = image.shape[1:]
        anns = self.anns.get(rec["id"], [])
        boxes, labels, masks = [], [], []
        for a in anns:
            x, y, bw, bh = a["bbox"]
            x1, x2 = x * sx, (x + bw) * sx
            boxes.append([w - x2, y * sy, w - x1, (y + bh) * sy] if flip else [x1, y * sy, x2, (y + bh) * sy])
            labels.append(self.class_of[a["category_id"]])
            m = torch.from_numpy(fm.annotation_mask(a, rec["height"], rec["width"]).astype(np.float32))
            m = F.interpolate(m[None, None], size=(h, w), mode="nearest")[0, 0]
            masks.append(m.flip(-1) if flip else m)
        target = {
            "boxes": torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            "labels": torch.tensor(labels, dtype=torch.int64),
            "masks": torch.stack(masks).to(torch.uint8) if masks else torch.zeros((0, h, w), dtype=torch.uint8),
        }
        return image, target


def lr_at(s, it, total, total_batch):
    """trainer/config.ts learningRateAt with the distributed batch."""
    lr = s["baseLr"] * total_batch / 16
    for f in s["lrDropsFromEnd"]:
        if it >= round(total * (1 - f)):
            lr *= 0.1
    if it < s["warmupIterations"]:
        a = it / s["warmupIterations"]
        lr *= s["warmupFactor"] * (1 - a) + a
    return lr


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", default=os.path.join(HERE, "fieldwork-run.json"))
    ap.add_argument("--output", default=os.path.join(HERE, "output"))
    ap.add_argument("--iterations", type=int, help="stop after N iterations (a smoke test); the LR schedule keeps the run's length")
    ap.add_argument("--ims-per-process", type=int)
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process on CPU")
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--no-eval", action="store_true")
    args = ap.parse_args()

    run = json.load(open(args.run))
    cfg, cats = run["config"], run["categories"]
    distributed = "WORLD_SIZE" in os.environ and int(os.environ["WORLD_SIZE"]) > 1
    cuda = torch.cuda.is_available()
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    else:
        torch.set_num_threads(args.threads)
    torch.manual_seed(cfg["seed"])  # identical init everywhere (DDP also broadcasts rank 0's)
    random.seed(cfg["seed"] + rank)

    s = cfg["solver"]
    per = args.ims_per_process or max(1, s["imsPerBatch"] // world)
    total_batch = per * world
    class_of = {c["id"]: i + 1 for i, c in enumerate(cats)}
    train_set = CocoSplit(os.path.join(HERE, "datasets", "train.json"), cfg, class_of, True)
    total = max(1, math.ceil(s["epochs"] * len(train_set) / total_batch))
    stop = min(total, args.iterations) if args.iterations else total

    model = fm.build_model(cfg, len(cats)).to(device)
    decay, no_decay = [], []
    for p in model.parameters():
        (decay if p.ndim > 1 else no_decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": s["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
                          lr=lr_at(s, 0, total, total_batch), momentum=s["momentum"])
    start = 0
    os.makedirs(args.output, exist_ok=True)
    ck_path = os.path.join(args.output, "checkpoint.pth")
    if args.resume and os.path.exists(ck_path):
        ck = torch.load(ck_path, map_location=device)
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        start = ck["iteration"]
    net = torch.nn.parallel.DistributedDataParallel(model, device_ids=[local] if cuda else None) if distributed else model

    sampler = DistributedSampler(train_set, world, rank, shuffle=True, seed=cfg["seed"]) if distributed else None
    loader = DataLoader(train_set, batch_size=per, sampler=sampler, shuffle=sampler is None, num_workers=0, collate_fn=lambda b: tuple(zip(*b)), drop_last=False)
    log = open(os.path.join(args.output, "metrics.jsonl"), "a") if rank == 0 else None

    def save(it):
        if rank != 0:
            return
        tmp = ck_path + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "iteration": it}, tmp)
        os.replace(tmp, ck_path)

    it, epoch, t0 = start, 0, time.time()
    net.train()
    while it < stop:
        if sampler is not None:
            sampler.set_epoch(epoch)
        for images, targets in loader:
            if it >= stop:
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(s, it, total, total_batch)
            images = [im.to(device) for im in images]
            targets = [{k: v.to(device) for k, v in t.items()} for t in targets]
            losses = net(images, targets)
            loss = sum(losses.values())
            opt.zero_grad()
            loss.backward()
            if s["clipGradNorm"] > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), s["clipGradNorm"])
            opt.step()
            it += 1
            if log:
                log.write(json.dumps({"iteration": it, "totalIterations": total, "lr": opt.param_groups[0]["lr"], "loss": float(loss),
                                      **{k: float(v) for k, v in losses.items()}, "seconds": round(time.time() - t0, 3)}) + "\n")
                log.flush()
            if s["checkpointEveryIterations"] and it % s["checkpointEveryIterations"] == 0:
                save(it)
        epoch += 1
    save(it)
    if distributed:
        dist.barrier()
    if rank == 0:
        final = os.path.join(args.output, "model_final.pth")
        state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
        torch.save(state, final + ".tmp")
        os.replace(final + ".tmp", final)
        fm.save_safetensors(state, os.path.join(args.output, "model_final.safetensors"))
        val = os.path.join(HERE, "datasets", "val.json")
        if not args.no_eval and os.path.exists(val):
            coco = json.load(open(val))
            results = fm.predict_coco(model, cfg, cats, coco, os.path.dirname(val), batch_size=per)
            out = os.path.join(args.output, "coco_instances_results.json")
            json.dump(results, open(out + ".tmp", "w"))
            os.replace(out + ".tmp", out)
        json.dump({"engine": "torchvision", "iterations": it, "totalIterations": total, "processes": world, "imsPerProcess": per,
                   "device": str(device), "torch": torch.__version__, "seconds": round(time.time() - t0, 1)},
                  open(os.path.join(args.output, "summary.json"), "w"), indent=2)
        print(f"done: {it} iterations on {world} process(es); weights in {final}", flush=True)
    if distributed:
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
