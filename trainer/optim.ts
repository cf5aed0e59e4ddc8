// SGD with momentum and decoupled-from-norm weight decay, as the paper (PyTorch SGD semantics):
// buf ← μ·buf + (g + λ·w) ; w ← w − lr·buf, with λ = 0 for GN parameters and biases.
import * as tf from '@tensorflow/tfjs-core';
import type { ParamStore } from './model/layers.ts';

export class SgdMomentum {
  readonly buffers = new Map<string, tf.Variable>();
  constructor(readonly store: ParamStore, readonly momentum: number, readonly weightDecay: number) {
    for (const [name, p] of store.params) this.buffers.set(name, tf.variable(tf.zerosLike(p.variable), false, `${name}/momentum`));
  }

  /**
   * One update. grads by variable name (missing = zero gradient, e.g. a branch that saw no RoIs);
   * `clipNorm` > 0 scales all gradients so their global L2 norm is at most clipNorm. Returns the norm.
   */
  step(grads: Record<string, tf.Tensor>, lr: number, clipNorm = 0): number {
    let scale = 1, norm = NaN;
    if (clipNorm > 0) {
      norm = Math.sqrt(tf.tidy(() => tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]));
      if (norm > clipNorm) scale = clipNorm / norm;
    }
    tf.tidy(() => {
      for (const [name, p] of this.store.params) {
        const buf = this.buffers.get(name)!;
        let g: tf.Tensor = grads[p.variable.name] ?? tf.zerosLike(p.variable);
        if (scale !== 1) g = tf.mul(g, scale);
        if (p.decay && this.weightDecay > 0) g = tf.add(g, tf.mul(p.variable, this.weightDecay));
        const nb = tf.add(tf.mul(buf, this.momentum), g);
        buf.assign(nb);
        p.variable.assign(tf.sub(p.variable, tf.mul(nb, lr)));
      }
    });
    this.store.version++;
    return norm;
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
