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
   * `clipNorm` > 0 scales all gradients so their global L2 norm is at most clipNorm.
   */
  step(grads: Record<string, tf.Tensor>, lr: number, clipNorm = 0): void {
    tf.tidy(() => {
      // The clip factor min(1, clipNorm / ‖g‖) stays a tensor: no read back from the device mid-step.
      // Pairwise adds, not one addN: WebGPU binds each input as a storage buffer (8 per shader stage).
      const present = Object.values(grads);
      const scale = clipNorm > 0 && present.length > 0
        ? tf.minimum(1, tf.div(clipNorm, tf.sqrt(present.map((g) => tf.sum(tf.square(g))).reduce((a, b) => tf.add(a, b)))))
        : null;
      for (const [name, p] of this.store.params) {
        const buf = this.buffers.get(name)!;
        let g: tf.Tensor = grads[p.variable.name] ?? tf.zerosLike(p.variable);
        if (scale) g = tf.mul(g, scale);
        if (p.decay && this.weightDecay > 0) g = tf.add(g, tf.mul(p.variable, this.weightDecay));
        const nb = tf.add(tf.mul(buf, this.momentum), g);
        buf.assign(nb);
        p.variable.assign(tf.sub(p.variable, tf.mul(nb, lr)));
      }
    });
    this.store.version++;
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}
