#!/usr/bin/env python3
"""Fieldwork's Mask R-CNN as a torchvision model, its input pipeline and its weight files.

The same network as Fieldwork's trainer (trainer/model/*) for the run config in fieldwork-run.json:
GroupNorm ResNet (stem, every block conv and shortcut), GN FPN P2-P6 (P6 = stride-2 subsampling of P5),
RPN with half-cell-centred anchors, RoIAlign in Detectron2's aligned (half-pixel) variant with the
same level assignment, the box head (convs x [3x3 conv, GN, ReLU] + fcs x [fc, ReLU]), the mask head
(convs x [3x3 conv, GN, ReLU], 2x deconv + ReLU, 1x1 per class). Inputs: RGB 0-255 resized so the
short side is input.testShortSide (capped by input.maxSize), normalised as (p - 127.5) / 64, padded
with zeros to input.sizeDivisibility.

Weights travel as safetensors (a documented, pickle-free layout: 8-byte header length, JSON header,
raw little-endian tensors) so Fieldwork's TypeScript side reads and writes them without Python;
torch.save / torch.load are done here:

  python3 fieldwork_model.py to-pth   <in.safetensors> <out.pth>
  python3 fieldwork_model.py from-pth <in.pth> <out.safetensors>
  python3 fieldwork_model.py predict  <fieldwork-run.json> <weights.safetensors|.pth> <coco.json> <out-results.json>
"""
import json
import math
import os
import struct
import sys
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNConvFCHead, FastRCNNPredictor
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign, roi_align
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

PIXEL_MEAN, PIXEL_SCALE = 127.5, 1 / 64  # trainer/data/loader.ts


def gn_groups(channels, max_groups):
    """Largest divisor of channels <= max_groups (trainer/model/layers.ts gnGroups)."""
    for g in range(min(max_groups, channels), 0, -1):
        if channels % g == 0:
            return g
    return 1


def conv_gn(cin, cout, k, stride, groups):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.GroupNorm(gn_groups(cout, groups), cout, eps=1e-5))


class Block(nn.Module):
    """Basic block (depth 18/34) or bottleneck with the stride on the 3x3 (50/101), GN after every conv."""

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
                                         norm_layer=lambda c: nn.GroupNorm(gn_groups(c, g), c, eps=1e-5))
        self.out_channels = fc

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 3, 2, 1)
        feats = OrderedDict()
        for i, st in enumerate(self.stages):
            x = st(x)
            feats[str(i)] = x
        return self.fpn(feats)


class CentredAnchorGenerator(AnchorGenerator):
    """Fieldwork's anchors (trainer/ops/anchors.ts): not rounded, centred on ((x + 0.5) s, (y + 0.5) s)."""

    def generate_anchors(self, scales, aspect_ratios, dtype=torch.float32, device=torch.device("cpu")):
        scales = torch.as_tensor(scales, dtype=dtype, device=device)
        ratios = torch.as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = torch.sqrt(ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).view(-1)
        hs = (h_ratios[:, None] * scales[None, :]).view(-1)
        return torch.stack([-ws, -hs, ws, hs], dim=1) / 2

    def grid_anchors(self, grid_sizes, strides):
        anchors = []
        for size, stride, base in zip(grid_sizes, strides, self.cell_anchors):
            gh, gw = size
            sh, sw = stride
            dev = base.device
            sx = (torch.arange(0, gw, dtype=torch.float32, device=dev) + 0.5) * sw
            sy = (torch.arange(0, gh, dtype=torch.float32, device=dev) + 0.5) * sh
            yy, xx = torch.meshgrid(sy, sx, indexing="ij")
            xx, yy = xx.reshape(-1), yy.reshape(-1)
            shifts = torch.stack((xx, yy, xx, yy), dim=1)
            anchors.append((shifts.view(-1, 1, 4) + base.view(1, -1, 4)).reshape(-1, 4))
        return anchors


class AlignedMultiScaleRoIAlign(MultiScaleRoIAlign):
    """RoIAlign (aligned=True) from P2-P5, level floor(c_lvl + log2(sqrt(area) / c_size + 1e-8)) as Fieldwork."""

    def __init__(self, output_size, sampling_ratio, canonical_size, canonical_level):
        super().__init__(["0", "1", "2", "3"], output_size, sampling_ratio)
        self.output_size, self.sampling_ratio = output_size, sampling_ratio
        self.canonical_size, self.canonical_level = canonical_size, canonical_level

    def forward(self, x, boxes, image_shapes):
        feats = [x[k] for k in ["0", "1", "2", "3"]]
        rois = torch.cat([torch.cat([torch.full((len(b), 1), i, dtype=b.dtype, device=b.device), b], 1) for i, b in enumerate(boxes)], 0)
        area = (rois[:, 3] - rois[:, 1]).clamp(min=0) * (rois[:, 4] - rois[:, 2]).clamp(min=0)
        lvl = torch.floor(self.canonical_level + torch.log2(torch.sqrt(area) / self.canonical_size + 1e-8))
        lvl = lvl.clamp(2, 5).to(torch.int64) - 2
        out = torch.zeros((len(rois), feats[0].shape[1], self.output_size, self.output_size), dtype=feats[0].dtype, device=feats[0].device)
        for level, f in enumerate(feats):
            idx = torch.where(lvl == level)[0]
            if len(idx) == 0:
                continue
            stride = 2 ** (level + 2)
            out[idx] = roi_align(f, rois[idx], self.output_size, 1.0 / stride, self.sampling_ratio, aligned=True).to(out.dtype)
        return out


class PreparedTransform(GeneralizedRCNNTransform):
    """Images arrive resized and normalised by prepare_image (so training and prediction see what Fieldwork sees)."""

    def resize(self, image, target=None):
        return image, target


def build_model(cfg, num_classes):
    """The torchvision MaskRCNN with Fieldwork's architecture for run config `cfg` (trainer/config.ts RunConfig)."""
    g = cfg["norm"]["groups"]
    norm = lambda c: nn.GroupNorm(gn_groups(c, g), c, eps=1e-5)
    rpn, roi, mask, inp = cfg["rpn"], cfg["roi"], cfg["mask"], cfg["input"]
    fc = cfg["fpnChannels"]
    anchors = CentredAnchorGenerator(tuple((s,) for s in rpn["anchorSizes"]), (tuple(rpn["aspectRatios"]),) * 5)
    box_pool = AlignedMultiScaleRoIAlign(roi["boxPoolSize"], roi["samplingRatio"], roi["canonicalSize"], roi["canonicalLevel"])
    mask_pool = AlignedMultiScaleRoIAlign(mask["poolSize"], roi["samplingRatio"], roi["canonicalSize"], roi["canonicalLevel"])
    box_head = FastRCNNConvFCHead((fc, roi["boxPoolSize"], roi["boxPoolSize"]), [roi["boxHeadConvChannels"]] * roi["boxHeadConvs"],
                                  [roi["boxHeadFcDim"]] * roi["boxHeadFcs"], norm_layer=norm)
    box_in = roi["boxHeadConvChannels"] if roi["boxHeadConvs"] > 0 else fc
    box_dim = roi["boxHeadFcDim"] if roi["boxHeadFcs"] > 0 else box_in * roi["boxPoolSize"] ** 2
    mask_head = MaskRCNNHeads(fc, [mask["channels"]] * mask["convs"], 1, norm_layer=norm)
    mask_in = mask["channels"] if mask["convs"] > 0 else fc
    model = MaskRCNN(
        GnResNetFpn(cfg), num_classes=None,
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
    model.transform = PreparedTransform(inp["testShortSide"], inp["maxSize"], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], size_divisible=inp["sizeDivisibility"])
    init_like_fieldwork(model)
    return model


def init_like_fieldwork(model):
    """MSRA fill (fan-out) for convs, zero biases, GN 1/0; RPN convs std 0.01; predictors as the paper (trainer/model/*)."""
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.GroupNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
    for m in model.rpn.head.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=0.01)
    p = model.roi_heads.box_predictor
    nn.init.normal_(p.cls_score.weight, std=0.01)
    nn.init.normal_(p.bbox_pred.weight, std=0.001)
    nn.init.zeros_(p.cls_score.bias)
    nn.init.zeros_(p.bbox_pred.bias)
    nn.init.normal_(model.roi_heads.mask_predictor.mask_fcn_logits.weight, std=0.001)


# ---------------------------------------------------------------------------------------------- input


def resize_scale(h, w, short_side, max_size):
    return min(short_side / min(h, w), max_size / max(h, w))


def prepare_image(pil_image, short_side, max_size, flip=False):
    """RGB image -> (normalised CHW tensor, scale x, scale y). Fieldwork resizes with lanczos3 (sharp); PIL's LANCZOS is the same kernel."""
    from PIL import Image
    img = pil_image.convert("RGB")
    w0, h0 = img.size
    s = resize_scale(h0, w0, short_side, max_size)
    w, h = max(1, round(w0 * s)), max(1, round(h0 * s))
    if (w, h) != (w0, h0):
        img = img.resize((w, h), Image.LANCZOS)
    if flip:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    a = (np.asarray(img, dtype=np.float32) - PIXEL_MEAN) * PIXEL_SCALE
    return torch.from_numpy(a.transpose(2, 0, 1).copy()), w / w0, h / h0


# ------------------------------------------------------------------------------------------------ RLE


def rle_decode(seg, h, w):
    """COCO RLE (compressed string or counts list) -> h x w uint8 mask."""
    counts = seg["counts"]
    if isinstance(counts, str):
        counts = _rle_string_to_counts(counts)
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for c in counts:
        if val:
            flat[pos:pos + c] = 1
        pos += c
        val ^= 1
    return flat.reshape(w, h).T  # column-major


def _rle_string_to_counts(s):
    counts, p, m = [], 0, 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if m > 2:
            x += counts[m - 2]
        counts.append(x)
        m += 1
    return counts


def rle_encode(mask):
    """h x w 0/1 mask -> compressed COCO RLE {size, counts} (pycocotools' string format)."""
    h, w = mask.shape
    flat = np.asarray(mask, dtype=np.uint8).T.reshape(-1)
    if flat.size == 0:
        counts = [0]
    else:
        cuts = np.flatnonzero(flat[1:] != flat[:-1]) + 1
        counts = np.diff(np.concatenate([[0], cuts, [flat.size]])).tolist()
        if flat[0] == 1:
            counts = [0] + counts
    out = []
    for i, c in enumerate(counts):
        x = c - counts[i - 2] if i > 2 else c
        more = True
        while more:
            ch = x & 0x1F
            x >>= 5
            more = not ((x == 0 and not (ch & 0x10)) or (x == -1 and (ch & 0x10)))
            if more:
                ch |= 0x20
            out.append(chr(ch + 48))
    return {"size": [int(h), int(w)], "counts": "".join(out)}


def polygons_to_mask(polys, h, w):
    from PIL import Image, ImageDraw
    img = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(img)
    for p in polys:
        if len(p) >= 6:
            d.polygon([(p[i], p[i + 1]) for i in range(0, len(p), 2)], fill=1)
    return np.asarray(img, dtype=np.uint8)


def annotation_mask(ann, h, w):
    seg = ann.get("segmentation")
    if isinstance(seg, dict):
        return rle_decode(seg, *seg["size"])
    if isinstance(seg, list) and seg:
        return polygons_to_mask(seg, h, w)
    x, y, bw, bh = ann["bbox"]  # a box without a mask: the box as its mask
    m = np.zeros((h, w), dtype=np.uint8)
    m[int(math.floor(y)):int(math.ceil(y + bh)), int(math.floor(x)):int(math.ceil(x + bw))] = 1
    return m


# ---------------------------------------------------------------------------------------------- weights

_DT = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def save_safetensors(state, path):
    header, blobs, off = {}, [], 0
    for k, v in state.items():
        a = v.detach().cpu().contiguous().numpy().astype(np.float32)
        b = a.tobytes()
        header[k] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    out = OrderedDict()
    for k, e in header.items():
        if k == "__metadata__":
            continue
        a, b = e["data_offsets"]
        out[k] = torch.from_numpy(np.frombuffer(body[a:b], dtype=_DT[e["dtype"]]).reshape(e["shape"]).copy())
    return out


def load_weights(path):
    """A state dict from .safetensors, or from a .pth (a state dict, or a train.py checkpoint with 'model')."""
    if path.endswith(".safetensors"):
        return load_safetensors(path)
    obj = torch.load(path, map_location="cpu", weights_only=True)
    return obj["model"] if isinstance(obj, dict) and "model" in obj and isinstance(obj["model"], dict) else obj


# --------------------------------------------------------------------------------------------- predict


@torch.no_grad()
def predict_coco(model, cfg, categories, coco, image_dir, batch_size=2):
    """COCO results (boxes in original pixels, masks as compressed RLE) for every image of `coco`."""
    from PIL import Image
    model.eval()
    inp = cfg["input"]
    results = []
    images = coco["images"]
    for i in range(0, len(images), batch_size):
        recs = images[i:i + batch_size]
        tensors, scales = [], []
        for r in recs:
            t, sx, sy = prepare_image(Image.open(resolve_image(r["file_name"], image_dir)), inp["testShortSide"], inp["maxSize"])
            tensors.append(t)
            scales.append((sx, sy))
        device = next(model.parameters()).device
        outs = [{k: v.cpu() for k, v in o.items()} for o in model([t.to(device) for t in tensors])]
        for r, o, (sx, sy), t in zip(recs, outs, scales, tensors):
            H, W = r["height"], r["width"]
            for k in range(len(o["scores"])):
                x1, y1, x2, y2 = o["boxes"][k].tolist()
                x1, x2, y1, y2 = x1 / sx, x2 / sx, y1 / sy, y2 / sy
                m = o["masks"][k, 0]
                if m.shape != (H, W):
                    m = F.interpolate(m[None, None], size=(H, W), mode="nearest")[0, 0]
                results.append({
                    "image_id": r["id"], "category_id": categories[int(o["labels"][k]) - 1]["id"],
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "score": float(o["scores"][k]),
                    "segmentation": rle_encode((m >= cfg["mask"]["threshold"]).numpy().astype(np.uint8)),
                })
    return results


def resolve_image(file_name, image_dir):
    if os.path.isabs(file_name):
        return file_name
    for c in (os.path.join(image_dir, file_name), os.path.join(image_dir, "images", file_name)):
        if os.path.exists(c):
            return c
    return os.path.join(image_dir, file_name)


def main(argv):
    if len(argv) == 3 and argv[0] == "to-pth":
        torch.save(load_safetensors(argv[1]), argv[2])
    elif len(argv) == 3 and argv[0] == "from-pth":
        save_safetensors(load_weights(argv[1]), argv[2])
    elif len(argv) == 5 and argv[0] == "predict":
        run = json.load(open(argv[1]))
        model = build_model(run["config"], len(run["categories"]))
        model.load_state_dict(load_weights(argv[2]))
        coco = json.load(open(argv[3]))
        torch.set_num_threads(int(os.environ.get("FIELDWORK_TORCH_THREADS", "1")))
        res = predict_coco(model, run["config"], run["categories"], coco, os.path.dirname(os.path.abspath(argv[3])))
        json.dump(res, open(argv[4], "w"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
