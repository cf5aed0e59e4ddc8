// Parameters and the few layer functions every stage uses: conv (MSRA init), GroupNorm, fc.
// Parameters live in a ParamStore under dotted names ("backbone.res3.0.conv1.w"), which is also the
// checkpoint format. Init is seeded (reproducible runs).
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../common/rng.ts';
import { fusedGroupNorm, hasFusedGroupNorm } from '../ops/group_norm_kernel.ts';

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
    const init = tf.tensor(values, shape);
    const variable = tf.variable(init, true, name);
    init.dispose();
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

  /**
   * Bumped by whatever assigns new values to the parameters (optimizer step, checkpoint restore,
   * setPacked), so copies elsewhere (worker threads) know when they are stale.
   */
  version = 0;

  /**
   * Every parameter's values concatenated in store order (a worker thread's copy of the weights), or,
   * given tensors by variable name (gradients), theirs in the same layout (zeros where one is missing).
   */
  packed(values?: Record<string, tf.Tensor>): Float32Array {
    const out = new Float32Array(this.count);
    let o = 0;
    for (const p of this.params.values()) {
      const t = values ? values[p.variable.name] : p.variable;
      if (t) out.set(t.dataSync() as Float32Array, o);
      o += p.variable.size;
    }
    return out;
  }

  /** Loads values made by packed() on a store of the same architecture. */
  setPacked(values: Float32Array): void {
    if (values.length !== this.count) throw new Error(`Error in ParamStore.setPacked: ${values.length} values for ${this.count} parameters`);
    let o = 0;
    for (const p of this.params.values()) {
      const n = p.variable.size;
      tf.tidy(() => p.variable.assign(tf.tensor(values.subarray(o, o + n), p.variable.shape)));
      o += n;
    }
    this.version++;
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

/**
 * GroupNorm over x [B, H, W, C]: statistics per (image, group) over H, W and the group's channels,
 * then per-channel scale and shift. A custom gradient keeps only x̂ and 1/σ for the backward pass
 * (autodiff of the composed ops would keep ~6 activation-sized tensors per layer, which does not
 * fit R50-FPN at 800 px in the 4 GB WASM heap), and the backward is the closed form:
 *   dx = (1/σ) · (dx̂ − mean(dx̂) − x̂ · mean(dx̂ · x̂)),  dx̂ = dy · γ,  dγ = Σ dy · x̂,  dβ = Σ dy.
 */
export function groupNorm(x: tf.Tensor4D, p: GroupNormParams, eps: number): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const G = p.groups;
  if (C % G !== 0) throw new Error(`Error in groupNorm: ${C} channels not divisible by ${G} groups`);
  // WASM has fused kernels for the same maths (two passes each way instead of ~18 tfjs ops).
  if (hasFusedGroupNorm()) return fusedGroupNorm(x, p.gamma, p.beta, G, eps);
  const grouped = [B, H * W, G, C / G];
  const op = tf.customGrad((...args: unknown[]) => {
    const [input, gamma, beta, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [xhat, rstd] = tf.tidy(() => {
      const xg = tf.reshape(input, grouped);
      const { mean, variance } = tf.moments(xg, [1, 3], true);
      const r = tf.rsqrt(tf.add(variance, eps));
      return [tf.mul(tf.sub(xg, mean), r), r];
    });
    const value = tf.tidy(() => tf.add(tf.mul(tf.reshape(xhat, [B, H, W, C]), gamma), beta));
    save([xhat, rstd, gamma]);
    xhat.dispose();
    rstd.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xh, rs, gm] = saved;
        const xh4 = tf.reshape(xh, [B, H, W, C]);
        const dxhat = tf.reshape(tf.mul(dy, gm), grouped);
        const dx = tf.mul(rs, tf.sub(tf.sub(dxhat, tf.mean(dxhat, [1, 3], true)), tf.mul(xh, tf.mean(tf.mul(dxhat, xh), [1, 3], true))));
        return [tf.reshape(dx, [B, H, W, C]), tf.sum(tf.mul(dy, xh4), [0, 1, 2]), tf.sum(dy, [0, 1, 2])];
      },
    };
  });
  return op(x, p.gamma, p.beta) as tf.Tensor4D;
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

/**
 * `n` × [3×3 conv, GN] from `cin` to `channels`, named `${name}.conv1` … `${name}.conv${n}`: the
 * conv tower the box head (4conv1fc) and the mask head both start with. Declared in order, so the
 * seeded init draws the same values as declaring them one by one. outChannels: what the tower
 * hands on (cin when n = 0).
 */
export function convGnTower(store: ParamStore, name: string, n: number, cin: number, channels: number, groups: number): { convs: ConvGn[]; outChannels: number } {
  const convs: ConvGn[] = [];
  for (let i = 0; i < n; i++) convs.push(convGn(store, `${name}.conv${i + 1}`, 3, i === 0 ? cin : channels, channels, 1, groups));
  return { convs, outChannels: n > 0 ? channels : cin };
}

/** Runs a conv tower (each conv → GN → ReLU). */
export function applyConvGnTower(x: tf.Tensor4D, convs: ConvGn[], eps: number): tf.Tensor4D {
  for (const c of convs) x = applyConvGn(x, c, eps, true);
  return x;
}

/** A weight and its bias (fc, deconv or 1×1 predictor). */
export interface WeightBias {
  w: tf.Variable;
  b: tf.Variable;
}
