// Mask R-CNN = backbone → FPN → RPN → RoI heads (box) + mask branch. The whole algorithm in two
// methods: `losses` (training) and `detect` (inference).
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../common/config.ts';
import type { Rng } from '../common/rng.ts';
import { ParamStore } from './layers.ts';
import { ResNet, type ResNetOptions } from './resnet.ts';
import { FPN, type FpnOptions } from './fpn.ts';
import { RPN, rpnLosses, type RpnOptions } from './rpn.ts';
import { BoxHead, fastRcnnLosses, postprocessDetections, sampleRois, type BoxHeadOptions, type Detections, type PostprocessOptions, type RoiSamplingOptions } from './roi_heads.ts';
import { MaskHead, maskRcnnLoss, selectClassMasks, type MaskHeadOptions } from './mask_head.ts';
import { assignFpnLevels, flattenLevels, planRoiAlign, roiAlign } from '../ops/roi_align.ts';

export interface MaskRcnnOptions {
  seed: number;
  numClasses: number;
  backbone: ResNetOptions;
  fpn: FpnOptions;
  rpn: RpnOptions;
  boxHead: Omit<BoxHeadOptions, 'inChannels' | 'numClasses'>;
  maskHead: Omit<MaskHeadOptions, 'inChannels' | 'numClasses'> & { poolSize: number };
  sampling: RoiSamplingOptions;
  postprocess: PostprocessOptions;
  samplingRatio: number;
  canonicalSize: number;
  canonicalLevel: number;
}

/** Maps the run config onto component options (the only place that reads RunConfig). */
export function buildMaskRcnnOptions(c: RunConfig, numClasses: number): MaskRcnnOptions {
  const g = c.norm.groups, eps = c.norm.eps;
  return {
    seed: c.seed,
    numClasses,
    backbone: { ...c.backbone, gnGroups: g, gnEps: eps },
    fpn: { channels: c.fpnChannels, gnGroups: g, gnEps: eps },
    rpn: {
      anchorSizes: c.rpn.anchorSizes, aspectRatios: c.rpn.aspectRatios,
      preNmsTopK: { train: c.rpn.preNmsTopKTrain, test: c.rpn.preNmsTopKTest },
      postNmsTopK: { train: c.rpn.postNmsTopKTrain, test: c.rpn.postNmsTopKTest },
      nmsThresh: c.rpn.nmsThresh, fgIouThresh: c.rpn.fgIouThresh, bgIouThresh: c.rpn.bgIouThresh,
      batchSizePerImage: c.rpn.batchSizePerImage, positiveFraction: c.rpn.positiveFraction,
    },
    boxHead: { poolSize: c.roi.boxPoolSize, convs: c.roi.boxHeadConvs, convChannels: c.roi.boxHeadConvChannels, fcs: c.roi.boxHeadFcs, fcDim: c.roi.boxHeadFcDim, gnGroups: g, gnEps: eps },
    maskHead: { convs: c.mask.convs, channels: c.mask.channels, poolSize: c.mask.poolSize, gnGroups: g, gnEps: eps },
    sampling: { batchSizePerImage: c.roi.batchSizePerImage, positiveFraction: c.roi.positiveFraction, fgIouThresh: c.roi.fgIouThresh, boxWeights: c.roi.boxWeights },
    postprocess: { scoreThresh: c.roi.scoreThresh, nmsThresh: c.roi.nmsThresh, detectionsPerImage: c.roi.detectionsPerImage, boxWeights: c.roi.boxWeights },
    samplingRatio: c.roi.samplingRatio,
    canonicalSize: c.roi.canonicalSize,
    canonicalLevel: c.roi.canonicalLevel,
  };
}

/** A padded batch: images [B, H, W, 3] normalised; sizes[b] = (h, w) of the real content. */
export interface ImageBatch {
  images: tf.Tensor4D;
  sizes: [number, number][];
}

/** Ground truth of one image in the batch frame. */
export interface GtInstances {
  /** [G, 4] x1, y1, x2, y2. */
  boxes: Float32Array;
  /** [G] 1..K. */
  classes: Int32Array;
  /** M×M 0/1 target of GT `index` inside `box` (batch frame). */
  maskTarget(index: number, box: Float32Array, size: number): Float32Array;
}

export type LossTensors = Record<'loss_objectness' | 'loss_rpn_box' | 'loss_classifier' | 'loss_box' | 'loss_mask', tf.Scalar>;

/** Detections of one image plus its per-detection M×M mask probabilities (own class). */
export interface ImageDetections extends Detections {
  /** [D, M, M] probabilities, row-major. */
  masks: Float32Array;
  maskSize: number;
}

const ROI_LEVELS = 4; // RoIAlign pools from P2..P5; P6 serves only the RPN.

export class MaskRcnn {
  readonly store: ParamStore;
  readonly opts: MaskRcnnOptions;
  readonly backbone: ResNet;
  readonly fpn: FPN;
  readonly rpn: RPN;
  readonly boxHead: BoxHead;
  readonly maskHead: MaskHead;

  constructor(opts: MaskRcnnOptions) {
    if (!(opts.numClasses >= 1)) throw new Error(`Error in MaskRcnn: numClasses must be ≥ 1, got ${opts.numClasses}`);
    this.opts = opts;
    this.store = new ParamStore(opts.seed);
    this.backbone = new ResNet(this.store, 'backbone', opts.backbone);
    this.fpn = new FPN(this.store, 'fpn', this.backbone.outputs, opts.fpn);
    this.rpn = new RPN(this.store, 'rpn', this.fpn.outputs, opts.rpn);
    const c = opts.fpn.channels;
    this.boxHead = new BoxHead(this.store, 'roi_heads.box', { ...opts.boxHead, inChannels: c, numClasses: opts.numClasses });
    this.maskHead = new MaskHead(this.store, 'roi_heads.mask', { ...opts.maskHead, inChannels: c, numClasses: opts.numClasses });
  }

  get strides(): number[] {
    return this.fpn.outputs.map((o) => o.stride);
  }

  #pool(table: tf.Tensor2D, levels: ReturnType<typeof flattenLevels>['levels'], boxes: Float32Array, batchIndex: Int32Array, size: number): tf.Tensor4D {
    const level = assignFpnLevels(boxes, this.opts.canonicalSize, this.opts.canonicalLevel, 2, 1 + ROI_LEVELS);
    return roiAlign(table, planRoiAlign(boxes, batchIndex, level, levels, { outputSize: size, samplingRatio: this.opts.samplingRatio }));
  }

  /**
   * The RPN's training-mode proposals for a batch, read back asynchronously (outside any gradient
   * tape, which must be synchronous). Where reads are asynchronous only (WebGPU), the training step
   * takes its proposals from here and passes them to `losses`: the backbone forward runs twice per
   * step, the price of never blocking on the GPU inside the tape.
   */
  async trainingProposals(batch: ImageBatch): Promise<Float32Array[]> {
    const feats = tf.tidy(() => this.fpn.forward(this.backbone.forward(batch.images)));
    const { objectness, deltas, anchors } = this.rpn.forward(feats);
    tf.dispose(feats);
    try {
      const [o, d] = await Promise.all([objectness.data(), deltas.data()]);
      return this.rpn.proposals(o as Float32Array, d as Float32Array, anchors, batch.sizes, true);
    } finally {
      tf.dispose([objectness, deltas]);
    }
  }

  /**
   * Training losses for a batch (call inside tf.variableGrads). gt[b] per image. `proposals`
   * (from trainingProposals) are required where reads are asynchronous only; without them they
   * are read from this forward pass, which on the CPU backends is a view of memory already there.
   */
  losses(batch: ImageBatch, gt: GtInstances[], rng: Rng, proposals?: Float32Array[]): LossTensors {
    const K = this.opts.numClasses;
    const feats = this.fpn.forward(this.backbone.forward(batch.images));
    const rpnOut = this.rpn.forward(feats);
    const rpnT = this.rpn.targets(rpnOut.anchors, gt.map((g) => g.boxes), rng);
    const rpnL = rpnLosses(rpnOut.objectness, rpnOut.deltas, rpnT);
    proposals ??= this.rpn.proposals(rpnOut.objectness.dataSync() as Float32Array, rpnOut.deltas.dataSync() as Float32Array, rpnOut.anchors, batch.sizes, true);

    const rois = sampleRois(proposals, gt.map((g) => g.boxes), gt.map((g) => g.classes), this.opts.sampling, rng);
    const { table, levels } = flattenLevels(feats.slice(0, ROI_LEVELS), this.strides.slice(0, ROI_LEVELS));
    const boxPooled = this.#pool(table, levels, rois.boxes, rois.batchIndex, this.opts.boxHead.poolSize);
    const { logits, deltas } = this.boxHead.forward(boxPooled);
    const frcnn = fastRcnnLosses(logits, deltas, rois.labels, rois.boxTargets, K);

    // Mask branch on foreground RoIs only.
    const fg: number[] = [];
    rois.labels.forEach((l, i) => { if (l > 0) fg.push(i); });
    const M = 2 * this.opts.maskHead.poolSize;
    let lossMask: tf.Scalar;
    if (fg.length === 0) {
      lossMask = tf.mul(tf.sum(logits), 0) as tf.Scalar;
    } else {
      const fgBoxes = new Float32Array(fg.length * 4), fgBatch = new Int32Array(fg.length), fgClass = new Int32Array(fg.length);
      const targets = new Float32Array(fg.length * M * M);
      fg.forEach((r, i) => {
        const box = rois.boxes.subarray(4 * r, 4 * r + 4);
        fgBoxes.set(box, 4 * i); fgBatch[i] = rois.batchIndex[r]; fgClass[i] = rois.labels[r];
        targets.set(gt[rois.batchIndex[r]].maskTarget(rois.matchedGt[r], box, M), i * M * M);
      });
      const maskPooled = this.#pool(table, levels, fgBoxes, fgBatch, this.opts.maskHead.poolSize);
      const maskLogits = this.maskHead.forward(maskPooled);
      lossMask = maskRcnnLoss(maskLogits, fgClass, targets);
      tf.dispose([maskPooled, maskLogits]);
    }
    tf.dispose([...feats, rpnOut.objectness, rpnOut.deltas, table, boxPooled, logits, deltas]);
    return { loss_objectness: rpnL.objectness, loss_rpn_box: rpnL.box, loss_classifier: frcnn.classifier, loss_box: frcnn.box, loss_mask: lossMask };
  }

  /** Inference on a batch: detections per image in the batch frame (divide by the resize scale for originals). */
  async detect(batch: ImageBatch): Promise<ImageDetections[]> {
    const K = this.opts.numClasses;
    const M = 2 * this.opts.maskHead.poolSize;
    const feats = tf.tidy(() => this.fpn.forward(this.backbone.forward(batch.images)));
    const rpnOut = this.rpn.forward(feats);
    let proposals: Float32Array[];
    try {
      const [o, d] = await Promise.all([rpnOut.objectness.data(), rpnOut.deltas.data()]);
      proposals = this.rpn.proposals(o as Float32Array, d as Float32Array, rpnOut.anchors, batch.sizes, false);
    } finally {
      tf.dispose([rpnOut.objectness, rpnOut.deltas]);
    }
    const { table, levels } = flattenLevels(feats.slice(0, ROI_LEVELS), this.strides.slice(0, ROI_LEVELS));
    tf.dispose(feats);
    const results: ImageDetections[] = [];
    for (let b = 0; b < proposals.length; b++) {
      const P = proposals[b].length / 4;
      let det: Detections = { boxes: new Float32Array(0), scores: new Float32Array(0), classes: new Int32Array(0) };
      if (P > 0) {
        const batchIdx = new Int32Array(P).fill(b);
        // Tidies return tensors, read afterwards: tidy walks whatever it returns, element by
        // element for a typed array (measured 20 ms per 2-image batch).
        const [probsT, deltasT] = tf.tidy(() => {
          const out = this.boxHead.forward(this.#pool(table, levels, proposals[b], batchIdx, this.opts.boxHead.poolSize));
          return [tf.softmax(out.logits), out.deltas];
        });
        const [probs, deltas] = (await Promise.all([probsT.data(), deltasT.data()])) as Float32Array[];
        tf.dispose([probsT, deltasT]);
        det = postprocessDetections(proposals[b], probs, deltas, K, batch.sizes[b], this.opts.postprocess);
      }
      const D = det.scores.length;
      let masks: Float32Array = new Float32Array(0);
      if (D > 0) {
        const probsT = tf.tidy(() => {
          const logits = this.maskHead.forward(this.#pool(table, levels, det.boxes, new Int32Array(D).fill(b), this.opts.maskHead.poolSize));
          return tf.sigmoid(selectClassMasks(logits, det.classes));
        });
        masks = (await probsT.data()) as Float32Array;
        probsT.dispose();
      }
      results.push({ ...det, masks, maskSize: M });
    }
    table.dispose();
    return results;
  }

  dispose(): void {
    this.store.dispose();
  }
}
