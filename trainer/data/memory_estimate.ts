// How much memory one training step of a config needs on the CPU backends (WASM, pure JS), so that a
// run that would abort past the WASM heap (4 GB on wasm32) is refused before any compute. Mask
// R-CNN's peak is the activations kept for the backward pass: every conv + GroupNorm (+ ReLU) keeps
// its output and GN's intermediates, at each backbone, FPN and RPN level and for each sampled RoI in
// the heads; the weights add little (they, their gradients and momentum: 3 copies). The estimate
// walks the same layers as model/resnet.ts, fpn.ts, rpn.ts, box_head.ts and mask_head.ts, counting
// output elements per image, and scales them by bytes per kept element calibrated against measured
// peaks (bench/memory-peak.ts; the figures are in the README).
import type { RunConfig } from '../common/config.ts';

/** wasm32's addressable heap: tfjs' WASM build grows its memory up to 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * Bytes per counted activation element at the step's peak: float32 (4 bytes) × the tensors tfjs
 * keeps per layer output for the backward pass (conv output, GN's centred/normalised values and
 * statistics, ReLU, their gradients while back-propagating). Fitted (least squares on relative
 * error) to WASM heap peaks of 9 configs: tiny 64–128 px, cpu 160–640 px at 1–2 images, paper
 * 128–256 px; every one within 9 % (bench/memory-peak.ts, figures in the README).
 */
export const BYTES_PER_SPATIAL_ACTIVATION = 50;
/** The RoI heads' elements (pooled features, head convs, fcs, deconv) cost less per element. */
export const BYTES_PER_ROI_ACTIVATION = 22;
/** Weights, gradients, momentum and the step's gradient sum: 4 float32 copies per parameter. */
export const BYTES_PER_PARAMETER = 16;
/** The backend's own fixed share (kernel scratch, the batch's input). */
export const FIXED_BYTES = 10 * 1024 ** 2;
/** How far the estimate may stray from a measured peak (the calibration's worst case, rounded up). */
export const ESTIMATE_TOLERANCE = 0.1;

export interface MemoryEstimate {
  /** Per image: activation elements counted in the backbone, FPN and RPN (they grow with the image), in the RoI heads (they do not), both. */
  spatial: number;
  roi: number;
  activations: number;
  parameters: number;
  totalBytes: number;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

/**
 * Peak bytes of one training step on `images` images (those one backend instance holds: a
 * data-parallel shard's share of the batch), each `height`×`width` before padding (default: the
 * largest training short side, square).
 */
export function estimateTrainingBytes(c: RunConfig, images: number, height = Math.max(...c.input.trainShortSides), width = height): MemoryEstimate {
  const div = c.input.sizeDivisibility;
  const H = ceilDiv(height, div) * div, W = ceilDiv(width, div) * div;
  const at = (stride: number) => ceilDiv(H, stride) * ceilDiv(W, stride);
  let act = 0, params = 0;
  const conv = (k: number, cin: number, cout: number, positions: number) => {
    params += k * k * cin * cout + 2 * cout;
    act += cout * positions;
  };

  // ResNet: stem 7×7/2, max pool (its output kept too), then res2..res5 at strides 4..32.
  const bb = c.backbone;
  conv(7, 3, bb.stemChannels, at(2));
  act += bb.stemChannels * at(4);
  let cin = bb.stemChannels;
  bb.blocks.forEach((n, s) => {
    const cout = bb.stageChannels[s], pos = at(4 * 2 ** s);
    for (let b = 0; b < n; b++) {
      if (bb.depth >= 50) {
        conv(1, cin, cout / 4, pos); conv(3, cout / 4, cout / 4, pos); conv(1, cout / 4, cout, pos);
      } else {
        conv(3, cin, cout, pos); conv(3, cout, cout, pos);
      }
      if ((b === 0 && s > 0) || cin !== cout) conv(1, cin, cout, pos);
      act += cout * pos; // the residual sum and its ReLU
      cin = cout;
    }
  });

  // FPN: lateral 1×1, top-down sum, output 3×3 on P2..P5; P6 subsampled.
  const f = c.fpnChannels;
  bb.stageChannels.forEach((ch, s) => {
    const pos = at(4 * 2 ** s);
    conv(1, ch, f, pos); act += f * pos; conv(3, f, f, pos);
  });
  act += f * at(64);

  // RPN: a shared 3×3 conv, objectness and deltas per anchor, on P2..P6.
  const A = c.rpn.aspectRatios.length;
  params += 9 * f * f + f * 5 * A;
  for (let s = 4; s <= 64; s *= 2) act += (f + 5 * A) * at(s);

  const spatial = act;
  act = 0;
  // RoI heads on the sampled RoIs: box branch on all, mask branch on the positives.
  const o = c.roi, R = o.batchSizePerImage, P2 = o.boxPoolSize ** 2;
  act += f * P2 * R;
  let ch = f;
  for (let i = 0; i < o.boxHeadConvs; i++) { conv(3, ch, o.boxHeadConvChannels, P2 * R); ch = o.boxHeadConvChannels; }
  let dim = ch * P2;
  for (let i = 0; i < o.boxHeadFcs; i++) { params += dim * o.boxHeadFcDim; act += o.boxHeadFcDim * R; dim = o.boxHeadFcDim; }
  const m = c.mask, Rp = Math.ceil(R * o.positiveFraction), M2 = m.poolSize ** 2;
  act += f * M2 * Rp;
  ch = f;
  for (let i = 0; i < m.convs; i++) { conv(3, ch, m.channels, M2 * Rp); ch = m.channels; }
  conv(2, ch, m.channels, 4 * M2 * Rp);

  return { spatial, roi: act, activations: spatial + act, parameters: params, totalBytes: FIXED_BYTES + images * (spatial * BYTES_PER_SPATIAL_ACTIVATION + act * BYTES_PER_ROI_ACTIVATION) + params * BYTES_PER_PARAMETER };
}

/**
 * Images one backend instance holds in a step: the batch is split over data-parallel shards, one per
 * core up to the images per batch (the rule of trainer/parallel/data_parallel.ts resolveWorkers).
 */
export function imagesPerInstance(c: RunConfig, cores: number): number {
  const shards = Math.max(1, Math.min(c.workers > 0 ? c.workers : Math.max(1, cores), c.solver.imsPerBatch));
  return Math.ceil(c.solver.imsPerBatch / shards);
}

/** Peak bytes of one step of `c` in one instance; `aspect` is the widest train image's long ÷ short side. */
export function stepBytes(c: RunConfig, cores: number, aspect = 1): number {
  const short = Math.max(...c.input.trainShortSides);
  const long = Math.min(c.input.maxSize, Math.round(short * Math.max(1, aspect)));
  return estimateTrainingBytes(c, imagesPerInstance(c, cores), short, long).totalBytes;
}

export interface MemoryRefusal {
  /** The dotted key to lower, its value now, and the largest value that fits (null when none does). */
  key: string;
  value: number;
  fits: number | null;
  needBytes: number;
  message: string;
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** The largest integer v in [lo, hi] with ok(v), assuming ok is monotone (true below some point); null when none. */
function largestFitting(lo: number, hi: number, ok: (v: number) => boolean): number | null {
  if (hi < lo || !ok(lo)) return null;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (ok(mid)) lo = mid; else hi = mid - 1;
  }
  return lo;
}

/**
 * Null when a step of `c` fits in `limitBytes` (one WASM heap), else what to lower: the training
 * scale first (the largest training short side that fits), else the images each heap holds
 * (solver.imsPerBatch), else the RoIs per image; the others that would also fit are named too.
 */
export function memoryRefusal(c: RunConfig, cores: number, aspect = 1, limitBytes = WASM_HEAP_BYTES): MemoryRefusal | null {
  const need = stepBytes(c, cores, aspect);
  if (need <= limitBytes) return null;
  const fitsWith = (over: (x: RunConfig) => RunConfig) => stepBytes(over(c), cores, aspect) <= limitBytes;
  const short = Math.max(...c.input.trainShortSides);
  const ims = c.solver.imsPerBatch, rois = c.roi.batchSizePerImage;
  const options: { key: string; value: number; fits: number | null }[] = [
    { key: 'input.trainShortSides', value: short, fits: largestFitting(32, short - 1, (s) => fitsWith((x) => ({ ...x, input: { ...x.input, trainShortSides: x.input.trainShortSides.map((v) => Math.min(v, s)) } }))) },
    ...(imagesPerInstance(c, cores) > 1 ? [{ key: 'solver.imsPerBatch', value: ims, fits: largestFitting(1, ims - 1, (n) => fitsWith((x) => ({ ...x, solver: { ...x.solver, imsPerBatch: n } }))) }] : []),
    { key: 'roi.batchSizePerImage', value: rois, fits: largestFitting(8, rois - 1, (n) => fitsWith((x) => ({ ...x, roi: { ...x.roi, batchSizePerImage: n } }))) },
  ];
  const first = options.find((o) => o.fits !== null) ?? options[0];
  const per = imagesPerInstance(c, cores);
  const head = `${first.key} ${first.value} needs about ${gib(need)} of memory in one WASM heap (${per} image${per === 1 ? '' : 's'} per heap; the limit is ${gib(limitBytes)})`;
  const others = options.filter((o) => o !== first && o.fits !== null).map((o) => `${o.key} ${o.fits}`);
  const message = first.fits !== null
    ? `${head}: ${first.fits} fits${others.length ? ` (or ${others.join(', or ')})` : ''}. The CPU backends cannot train this config; lower it, or train on a GPU (backend webgpu).`
    : `${head}, and no lower value of ${options.map((o) => o.key).join(', ')} alone fits: use a smaller model (the cpu preset) or train on a GPU (backend webgpu).`;
  return { ...first, needBytes: need, message };
}
