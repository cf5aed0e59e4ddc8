// Mask R-CNN as torchvision's `generalized_rcnn.py` tells it: backbone (ResNet + FPN) → RPN →
// RoI heads (box branch, then the mask branch on foreground RoIs / detections). Training (`losses`) and
// inference (`detect`) share the same stages; they differ where torchvision's `self.training` does:
// proposal counts, RPN / RoI targets and losses in training, post-processing in inference.
import * as tf from '@tensorflow/tfjs-core';
import type { RunConfig } from '../common/config.ts';
import type { Rng } from '../common/rng.ts';
import { ParamStore } from './layers.ts';
import { ResNet, type ResNetOptions } from './resnet.ts';
import { FPN, type FpnOptions } from './fpn.ts';
import { RPN, type RpnOptions, type RpnOutputs } from './rpn.ts';
import { rpnLosses } from './losses.ts';
import { RoIHeads, type GtInstances, type ImageDetections, type RoiFeatures, type RoiHeadsOptions } from './roi_heads.ts';

export type { GtInstances, ImageDetections } from './roi_heads.ts';

export interface MaskRcnnOptions extends RoiHeadsOptions {
  seed: number;
  backbone: ResNetOptions;
  fpn: FpnOptions;
  rpn: RpnOptions;
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

export type LossTensors = Record<'loss_objectness' | 'loss_rpn_box' | 'loss_classifier' | 'loss_box' | 'loss_mask', tf.Scalar>;

export class MaskRcnn {
  readonly store: ParamStore;
  readonly opts: MaskRcnnOptions;
  readonly backbone: ResNet;
  readonly fpn: FPN;
  readonly rpn: RPN;
  readonly roiHeads: RoIHeads;

  constructor(opts: MaskRcnnOptions) {
    if (!(opts.numClasses >= 1)) throw new Error(`Error in MaskRcnn: numClasses must be ≥ 1, got ${opts.numClasses}`);
    this.opts = opts;
    this.store = new ParamStore(opts.seed);
    this.backbone = new ResNet(this.store, 'backbone', opts.backbone);
    this.fpn = new FPN(this.store, 'fpn', this.backbone.outputs, opts.fpn);
    this.rpn = new RPN(this.store, 'rpn', this.fpn.outputs, opts.rpn);
    this.roiHeads = new RoIHeads(this.store, 'roi_heads', this.fpn.outputs, opts);
  }

  /** The stages every pass shares: backbone → FPN (P2…P6) → RPN head outputs. The caller disposes all. */
  #features(batch: ImageBatch): { features: tf.Tensor4D[]; rpn: RpnOutputs } {
    const features = tf.tidy(() => this.fpn.forward(this.backbone.forward(batch.images)));
    return { features, rpn: this.rpn.forward(features) };
  }

  /** Proposals per image from RPN outputs read back asynchronously (outside any gradient tape); disposes the outputs. */
  async #readProposals(rpn: RpnOutputs, sizes: [number, number][], training: boolean): Promise<Float32Array[]> {
    try {
      const [o, d] = await Promise.all([rpn.objectness.data(), rpn.deltas.data()]);
      return this.rpn.proposals(o as Float32Array, d as Float32Array, rpn.anchors, sizes, training);
    } finally {
      tf.dispose([rpn.objectness, rpn.deltas]);
    }
  }

  /**
   * The RPN's training-mode proposals for a batch, read back asynchronously (outside any gradient
   * tape, which must be synchronous). Where reads are asynchronous only (WebGPU), the training step
   * takes its proposals from here and passes them to `losses`: the backbone forward runs twice per
   * step, the price of never blocking on the GPU inside the tape.
   */
  async trainingProposals(batch: ImageBatch): Promise<Float32Array[]> {
    const { features, rpn } = this.#features(batch);
    tf.dispose(features);
    return this.#readProposals(rpn, batch.sizes, true);
  }

  /**
   * Training losses for a batch (call inside tf.variableGrads). gt[b] per image. `proposals`
   * (from trainingProposals) are required where reads are asynchronous only; without them they
   * are read from this forward pass, which on the CPU backends is a view of memory already there.
   */
  losses(batch: ImageBatch, gt: GtInstances[], rng: Rng, proposals?: Float32Array[]): LossTensors {
    const { features, rpn } = this.#features(batch);
    const rpnL = rpnLosses(rpn.objectness, rpn.deltas, this.rpn.targets(rpn.anchors, gt.map((g) => g.boxes), rng));
    proposals ??= this.rpn.proposals(rpn.objectness.dataSync() as Float32Array, rpn.deltas.dataSync() as Float32Array, rpn.anchors, batch.sizes, true);
    const roiFeatures = this.roiHeads.roiFeatures(features);
    const roi = this.roiHeads.losses(roiFeatures, proposals, gt, rng);
    tf.dispose([...features, rpn.objectness, rpn.deltas, roiFeatures.table]);
    return { loss_objectness: rpnL.objectness, loss_rpn_box: rpnL.box, ...roi };
  }

  /** Inference on a batch: detections per image in the batch frame (divide by the resize scale for originals). */
  async detect(batch: ImageBatch): Promise<ImageDetections[]> {
    const { features, rpn } = this.#features(batch);
    let proposals: Float32Array[], roiFeatures: RoiFeatures;
    try {
      proposals = await this.#readProposals(rpn, batch.sizes, false);
      roiFeatures = this.roiHeads.roiFeatures(features);
    } finally {
      tf.dispose(features);
    }
    try {
      return await this.roiHeads.detect(roiFeatures, proposals, batch.sizes);
    } finally {
      roiFeatures.table.dispose();
    }
  }

  dispose(): void {
    this.store.dispose();
  }
}
