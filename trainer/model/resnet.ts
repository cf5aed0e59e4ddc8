// ResNet backbone with GroupNorm after every conv (stem, blocks, shortcuts) — no frozen anything.
// Depth 18/34: basic blocks; 50/101: bottlenecks (stride on the 3×3, as torchvision / Detectron2 "v1.5").
import * as tf from '@tensorflow/tfjs-core';
import { applyConvGn, convGn, type ConvGn, type ParamStore } from './layers.ts';

export interface ResNetOptions {
  depth: 18 | 34 | 50 | 101;
  blocks: [number, number, number, number];
  stemChannels: number;
  stageChannels: [number, number, number, number];
  gnGroups: number;
  gnEps: number;
}

/** Shape contract between modules (Detectron2 ShapeSpec). */
export interface FeatureSpec {
  channels: number;
  stride: number;
}

interface Block {
  convs: ConvGn[];
  shortcut: ConvGn | null;
}

export class ResNet {
  readonly outputs: FeatureSpec[];
  readonly #stem: ConvGn;
  readonly #stages: Block[][];
  readonly #eps: number;

  constructor(store: ParamStore, name: string, opts: ResNetOptions) {
    const g = opts.gnGroups;
    this.#eps = opts.gnEps;
    const bottleneck = opts.depth >= 50;
    this.#stem = convGn(store, `${name}.stem`, 7, 3, opts.stemChannels, 2, g);
    let cin = opts.stemChannels;
    this.#stages = [];
    this.outputs = [];
    opts.blocks.forEach((n, s) => {
      const cout = opts.stageChannels[s];
      const blocks: Block[] = [];
      for (let b = 0; b < n; b++) {
        const stride = b === 0 && s > 0 ? 2 : 1;
        const p = `${name}.res${s + 2}.${b}`;
        const convs = bottleneck
          ? [convGn(store, `${p}.conv1`, 1, cin, cout / 4, 1, g), convGn(store, `${p}.conv2`, 3, cout / 4, cout / 4, stride, g), convGn(store, `${p}.conv3`, 1, cout / 4, cout, 1, g)]
          : [convGn(store, `${p}.conv1`, 3, cin, cout, stride, g), convGn(store, `${p}.conv2`, 3, cout, cout, 1, g)];
        const shortcut = stride !== 1 || cin !== cout ? convGn(store, `${p}.shortcut`, 1, cin, cout, stride, g) : null;
        blocks.push({ convs, shortcut });
        cin = cout;
      }
      this.#stages.push(blocks);
      this.outputs.push({ channels: cout, stride: 4 * 2 ** s });
    });
  }

  /** images [B, H, W, 3] → [C2, C3, C4, C5] with strides 4, 8, 16, 32. H, W must be multiples of 32. */
  forward(images: tf.Tensor4D): tf.Tensor4D[] {
    return tf.tidy(() => {
      let x = applyConvGn(images, this.#stem, this.#eps, true);
      x = tf.maxPool(x, 3, 2, 1);
      const outs: tf.Tensor4D[] = [];
      for (const stage of this.#stages) {
        for (const block of stage) {
          let y = x;
          block.convs.forEach((c, i) => { y = applyConvGn(y, c, this.#eps, i < block.convs.length - 1); });
          const short = block.shortcut ? applyConvGn(x, block.shortcut, this.#eps, false) : x;
          x = tf.relu(tf.add(y, short)) as tf.Tensor4D;
        }
        outs.push(x);
      }
      return outs;
    });
  }
}
