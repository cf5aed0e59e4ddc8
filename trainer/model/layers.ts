// Parameters and the few layer functions every stage uses: conv (MSRA init), GroupNorm, fc.
// Parameters live in a ParamStore under dotted names ("backbone.res3.0.conv1.w"), which is also the
// checkpoint format. Init is seeded (reproducible runs).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../data/rng.ts';

export interface ParamInfo {
  variable: tf.Variable;
  /** Weight decay applies (conv / fc weights) or not (GN scale/shift, biases). */
  decay: boolean;
}

export class ParamStore {
  readonly params = new Map<string, ParamInfo>();
  readonly #rng: Rng;
  constructor(seed: number) {
    this.#rng = new Rng(seed);
  }

  #add(name: string, shape: number[], values: Float32Array, decay: boolean): tf.Variable {
    if (this.params.has(name)) throw new Error(`Error in ParamStore: duplicate parameter ${name}`);
    const variable = tf.variable(tf.tensor(values, shape), true, name);
    this.params.set(name, { variable, decay });
    return variable;
  }

  /** Normal(0, std) values. */
  normal(n: number, std: number): Float32Array {
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = this.#rng.normal() * std;
    return v;
  }

  /** Conv kernel [k, k, cin, cout], MSRA fill (He normal, fan-out, as Detectron2's c2_msra_fill) unless std given. */
  convWeight(name: string, k: number, cin: number, cout: number, std?: number): tf.Variable {
    const s = std ?? Math.sqrt(2 / (k * k * cout));
    return this.#add(name, [k, k, cin, cout], this.normal(k * k * cin * cout, s), true);
  }

  /** Dense weight [cin, cout]: Xavier-uniform-like normal (fan-avg) unless std given. */
  fcWeight(name: string, cin: number, cout: number, std?: number): tf.Variable {
    const s = std ?? Math.sqrt(2 / (cin + cout));
    return this.#add(name, [cin, cout], this.normal(cin * cout, s), true);
  }

  bias(name: string, n: number, value = 0): tf.Variable {
    return this.#add(name, [n], new Float32Array(n).fill(value), false);
  }

  gn(name: string, channels: number, groups: number): GroupNormParams {
    return {
      gamma: this.#add(`${name}.gamma`, [channels], new Float32Array(channels).fill(1), false),
      beta: this.#add(`${name}.beta`, [channels], new Float32Array(channels), false),
      groups: gnGroups(channels, groups),
    };
  }

  get(name: string): tf.Variable {
    const p = this.params.get(name);
    if (!p) throw new Error(`Error in ParamStore.get: no parameter ${name}`);
    return p.variable;
  }

  get count(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.variable.size;
    return n;
  }

  dispose(): void {
    for (const p of this.params.values()) p.variable.dispose();
    this.params.clear();
  }
}

export interface GroupNormParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  groups: number;
}

/** Largest divisor of `channels` that is ≤ maxGroups (32 in the paper; thin layers get fewer). */
export function gnGroups(channels: number, maxGroups: number): number {
  for (let g = Math.min(maxGroups, channels); g >= 1; g--) if (channels % g === 0) return g;
  return 1;
}

/** GroupNorm over x [B, H, W, C]: statistics per (image, group) over H, W and the group's channels. */
export function groupNorm(x: tf.Tensor4D, p: GroupNormParams, eps: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [B, H, W, C] = x.shape;
    const G = p.groups;
    if (C % G !== 0) throw new Error(`Error in groupNorm: ${C} channels not divisible by ${G} groups`);
    const xg = tf.reshape(x, [B, H * W, G, C / G]);
    const { mean, variance } = tf.moments(xg, [1, 3], true);
    const normed = tf.mul(tf.sub(xg, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(tf.reshape(normed, [B, H, W, C]), p.gamma), p.beta) as tf.Tensor4D;
  });
}

export interface ConvGn {
  w: tf.Variable;
  gn: GroupNormParams;
  stride: number;
}

/** Declares a bias-free k×k conv followed by GN (the paper's unit everywhere). */
export function convGn(store: ParamStore, name: string, k: number, cin: number, cout: number, stride: number, groups: number): ConvGn {
  return { w: store.convWeight(`${name}.w`, k, cin, cout), gn: store.gn(`${name}.gn`, cout, groups), stride };
}

/** conv (symmetric padding k/2, like PyTorch) → GN → optional ReLU. */
export function applyConvGn(x: tf.Tensor4D, c: ConvGn, eps: number, relu: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    const k = c.w.shape[0];
    const y = groupNorm(tf.conv2d(x, c.w as tf.Tensor4D, c.stride, Math.floor(k / 2)), c.gn, eps);
    return relu ? tf.relu(y) : y;
  });
}
