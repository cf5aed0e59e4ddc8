// Box head (4conv1fc in the paper's preset: convs × [3×3 conv, GN, ReLU], then fcs × [fc, ReLU]) and
// the box predictor (softmax classes + class-specific deltas). Its loss is in ./losses.ts; the RoI
// heads (./roi_heads.ts) run it.
import * as tf from '@tensorflow/tfjs-core';
import { applyConvGnTower, convGnTower, type ConvGn, type ParamStore, type WeightBias } from './layers.ts';

export interface BoxHeadOptions {
  inChannels: number;
  poolSize: number;
  convs: number;
  convChannels: number;
  fcs: number;
  fcDim: number;
  /** Foreground classes (background is index 0 of the logits). */
  numClasses: number;
  gnGroups: number;
  gnEps: number;
}

export class BoxHead {
  readonly #convs: ConvGn[];
  readonly #fcs: WeightBias[] = [];
  /** Class logits (K + 1, background first) and class-specific box deltas (K · 4). */
  readonly #cls: WeightBias;
  readonly #bbox: WeightBias;
  readonly opts: BoxHeadOptions;

  constructor(store: ParamStore, name: string, opts: BoxHeadOptions) {
    this.opts = opts;
    const tower = convGnTower(store, name, opts.convs, opts.inChannels, opts.convChannels, opts.gnGroups);
    this.#convs = tower.convs;
    let d = tower.outChannels * opts.poolSize * opts.poolSize;
    for (let i = 0; i < opts.fcs; i++) {
      this.#fcs.push({ w: store.fcWeight(`${name}.fc${i + 1}.w`, d, opts.fcDim), b: store.bias(`${name}.fc${i + 1}.b`, opts.fcDim) });
      d = opts.fcDim;
    }
    this.#cls = { w: store.fcWeight(`${name}.cls.w`, d, opts.numClasses + 1, 0.01), b: store.bias(`${name}.cls.b`, opts.numClasses + 1) };
    this.#bbox = { w: store.fcWeight(`${name}.bbox.w`, d, opts.numClasses * 4, 0.001), b: store.bias(`${name}.bbox.b`, opts.numClasses * 4) };
  }

  /** pooled [R, P, P, C] → class logits [R, K+1] and deltas [R, K·4]. */
  forward(pooled: tf.Tensor4D): { logits: tf.Tensor2D; deltas: tf.Tensor2D } {
    const R = pooled.shape[0];
    const [logits, deltas] = tf.tidy(() => {
      const x = applyConvGnTower(pooled, this.#convs, this.opts.gnEps);
      let h: tf.Tensor2D = tf.reshape(x, [R, -1]);
      for (const fc of this.#fcs) h = tf.relu(tf.add(tf.matMul(h, fc.w as tf.Tensor2D), fc.b)) as tf.Tensor2D;
      return [tf.add(tf.matMul(h, this.#cls.w as tf.Tensor2D), this.#cls.b) as tf.Tensor2D, tf.add(tf.matMul(h, this.#bbox.w as tf.Tensor2D), this.#bbox.b) as tf.Tensor2D];
    });
    return { logits, deltas };
  }
}
