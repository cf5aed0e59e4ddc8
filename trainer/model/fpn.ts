// Feature Pyramid Network P2–P6 with GN on lateral and output convs; P6 = stride-2 subsampling of P5.
import * as tf from '@tensorflow/tfjs-core';
import { applyConvGn, convGn, type ConvGn, type ParamStore } from './layers.ts';
import type { FeatureSpec } from './resnet.ts';

export interface FpnOptions {
  channels: number;
  gnGroups: number;
  gnEps: number;
}

export class FPN {
  readonly outputs: FeatureSpec[];
  readonly #lateral: ConvGn[];
  readonly #output: ConvGn[];
  readonly #eps: number;

  constructor(store: ParamStore, name: string, inputs: FeatureSpec[], opts: FpnOptions) {
    this.#eps = opts.gnEps;
    this.#lateral = inputs.map((s, i) => convGn(store, `${name}.lateral${i + 2}`, 1, s.channels, opts.channels, 1, opts.gnGroups));
    this.#output = inputs.map((_, i) => convGn(store, `${name}.output${i + 2}`, 3, opts.channels, opts.channels, 1, opts.gnGroups));
    this.outputs = [...inputs.map((s) => ({ channels: opts.channels, stride: s.stride })), { channels: opts.channels, stride: inputs[inputs.length - 1].stride * 2 }];
  }

  /** [C2..C5] → [P2..P6]. */
  forward(features: tf.Tensor4D[]): tf.Tensor4D[] {
    return tf.tidy(() => {
      const n = features.length;
      const outs: tf.Tensor4D[] = new Array(n);
      let prev: tf.Tensor4D | null = null;
      for (let i = n - 1; i >= 0; i--) {
        let lat = applyConvGn(features[i], this.#lateral[i], this.#eps, false);
        if (prev) {
          const [, h, w] = lat.shape;
          lat = tf.add(lat, tf.image.resizeNearestNeighbor(prev, [h, w]));
        }
        prev = lat;
        outs[i] = applyConvGn(lat, this.#output[i], this.#eps, false);
      }
      outs.push(tf.maxPool(outs[n - 1], 1, 2, 'valid'));
      return outs;
    });
  }
}
