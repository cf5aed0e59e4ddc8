#!/usr/bin/env python3
"""torchvision reference for bench/vs-torchvision.ts: the same Mask R-CNN as Fieldwork's run config
(GN ResNet-style basic-block backbone, GN FPN P2-P6, RPN, 2fc box head, GN conv mask head), random
init, on the same batch file. A long-lived worker: reads commands on stdin, one JSON line per reply.

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
from collections import OrderedDict

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNConvFCHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool


def gn_groups(channels, max_groups):
    """Largest divisor of channels <= max_groups (trainer/model/layers.ts gnGroups)."""
    for g in range(min(max_groups, channels), 0, -1):
        if channels % g == 0:
            return g
    return 1


def conv_gn(cin, cout, k, stride, groups):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.GroupNorm(gn_groups(cout, groups), cout))


class Block(nn.Module):
    """Basic block (depth 18/34) or bottleneck (50/101), GN after every conv, as trainer/model/resnet.ts."""

    def __init__(self, cin, cout, stride, bottleneck, groups):
        super().__init__()
        if bottleneck:
            mid = cout // 4
            self.convs = nn.ModuleList([conv_gn(cin, mid, 1, 1, groups), conv_gn(mid, mid, 3, stride, groups), conv_gn(mid, cout, 1, 1, groups)])
        else:
            self.convs = nn.ModuleList([conv_gn(cin, cout, 3, stride, groups), conv_gn(cout, cout, 3, 1, groups)])
        self.shortcut = conv_gn(cin, cout, 1, stride, groups) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = x
        for i, c in enumerate(self.convs):
            y = c(y)
            if i < len(self.convs) - 1:
                y = F.relu(y)
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))


class GnResNetFpn(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        bb, g = cfg["backbone"], cfg["norm"]["groups"]
        self.stem = conv_gn(3, bb["stemChannels"], 7, 2, g)
        cin, stages = bb["stemChannels"], []
        for s, (n, cout) in enumerate(zip(bb["blocks"], bb["stageChannels"])):
            blocks = []
            for b in range(n):
                blocks.append(Block(cin, cout, 2 if b == 0 and s > 0 else 1, bb["depth"] >= 50, g))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.ModuleList(stages)
        fc = cfg["fpnChannels"]
        self.fpn = FeaturePyramidNetwork(bb["stageChannels"], fc, extra_blocks=LastLevelMaxPool(),
                                         norm_layer=lambda c: nn.GroupNorm(gn_groups(c, g), c))
        self.out_channels = fc

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        feats = OrderedDict()
        for i, st in enumerate(self.stages):
            x = st(x)
            feats[str(i)] = x
        return self.fpn(feats)


def build_model(cfg, num_classes, size):
    g = cfg["norm"]["groups"]
    norm = lambda c: nn.GroupNorm(gn_groups(c, g), c)
    rpn, roi, mask = cfg["rpn"], cfg["roi"], cfg["mask"]
    fc = cfg["fpnChannels"]
    anchors = AnchorGenerator(tuple((s,) for s in rpn["anchorSizes"]), (tuple(rpn["aspectRatios"]),) * 5)
    names = ["0", "1", "2", "3"]
    box_pool = MultiScaleRoIAlign(names, roi["boxPoolSize"], roi["samplingRatio"], canonical_scale=roi["canonicalSize"], canonical_level=roi["canonicalLevel"])
    mask_pool = MultiScaleRoIAlign(names, mask["poolSize"], roi["samplingRatio"], canonical_scale=roi["canonicalSize"], canonical_level=roi["canonicalLevel"])
    # FastRCNNConvFCHead: convs × [3×3 conv, norm, ReLU] then fcs × [fc, ReLU] — the GN box head.
    box_head = FastRCNNConvFCHead((fc, roi["boxPoolSize"], roi["boxPoolSize"]), [roi["boxHeadConvChannels"]] * roi["boxHeadConvs"],
                                  [roi["boxHeadFcDim"]] * roi["boxHeadFcs"], norm_layer=norm)
    mask_head = MaskRCNNHeads(fc, [mask["channels"]] * mask["convs"], 1, norm_layer=norm)
    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor
    from torchvision.models.detection.mask_rcnn import MaskRCNNPredictor
    box_dim = roi["boxHeadFcDim"] if roi["boxHeadFcs"] > 0 else roi["boxHeadConvChannels"] * roi["boxPoolSize"] ** 2
    mask_in = mask["channels"] if mask["convs"] > 0 else fc
    return MaskRCNN(
        GnResNetFpn(cfg), num_classes=None,
        # Images arrive already normalised and at their final size: identity mean/std; min/max size = the image.
        min_size=size, max_size=max(size, cfg["input"]["maxSize"]), image_mean=[0.0, 0.0, 0.0], image_std=[1.0, 1.0, 1.0],
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=rpn["preNmsTopKTrain"], rpn_pre_nms_top_n_test=rpn["preNmsTopKTest"],
        rpn_post_nms_top_n_train=rpn["postNmsTopKTrain"], rpn_post_nms_top_n_test=rpn["postNmsTopKTest"],
        rpn_nms_thresh=rpn["nmsThresh"], rpn_fg_iou_thresh=rpn["fgIouThresh"], rpn_bg_iou_thresh=rpn["bgIouThresh"],
        rpn_batch_size_per_image=rpn["batchSizePerImage"], rpn_positive_fraction=rpn["positiveFraction"],
        box_roi_pool=box_pool, box_head=box_head, box_predictor=FastRCNNPredictor(box_dim, num_classes + 1),
        box_score_thresh=roi["scoreThresh"], box_nms_thresh=roi["nmsThresh"], box_detections_per_img=roi["detectionsPerImage"],
        box_fg_iou_thresh=roi["fgIouThresh"], box_bg_iou_thresh=roi["fgIouThresh"],
        box_batch_size_per_image=roi["batchSizePerImage"], box_positive_fraction=roi["positiveFraction"],
        bbox_reg_weights=tuple(float(w) for w in roi["boxWeights"]),
        mask_roi_pool=mask_pool, mask_head=mask_head, mask_predictor=MaskRCNNPredictor(mask_in, mask["channels"], num_classes + 1),
    )


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
    model = build_model(cfg, cfg["numClasses"], H)
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
