// Box ↔ regression-delta coding (R-CNN parametrisation), on flat [N, 4] arrays.

export type BoxWeights = readonly [number, number, number, number];

/** Largest log-scale delta applied when decoding (exp(4.135) ≈ 1000 / 16), as Detectron2. */
export const BBOX_XFORM_CLIP = Math.log(1000 / 16);

/**
 * deltas [N, 4] (dx, dy, dw, dh) that turn `reference` boxes [N, 4] into `target` boxes [N, 4]:
 * dx = wx · (tcx − rcx) / rw, dw = ww · log(tw / rw), likewise y/h.
 */
export function encodeBoxes(reference: Float32Array, target: Float32Array, weights: BoxWeights): Float32Array {
  if (reference.length !== target.length) throw new Error(`Error in encodeBoxes: ${reference.length / 4} references vs ${target.length / 4} targets`);
  const [wx, wy, ww, wh] = weights;
  const out = new Float32Array(reference.length);
  for (let i = 0; i < reference.length; i += 4) {
    const rw = reference[i + 2] - reference[i], rh = reference[i + 3] - reference[i + 1];
    const rcx = reference[i] + 0.5 * rw, rcy = reference[i + 1] + 0.5 * rh;
    const tw = target[i + 2] - target[i], th = target[i + 3] - target[i + 1];
    const tcx = target[i] + 0.5 * tw, tcy = target[i + 1] + 0.5 * th;
    out[i] = (wx * (tcx - rcx)) / rw;
    out[i + 1] = (wy * (tcy - rcy)) / rh;
    out[i + 2] = ww * Math.log(tw / rw);
    out[i + 3] = wh * Math.log(th / rh);
  }
  return out;
}

/** Inverse of encodeBoxes: boxes [N, 4] from deltas [N, 4] applied to reference [N, 4]. */
export function decodeBoxes(reference: Float32Array, deltas: Float32Array, weights: BoxWeights): Float32Array {
  if (reference.length !== deltas.length) throw new Error(`Error in decodeBoxes: ${reference.length / 4} references vs ${deltas.length / 4} deltas`);
  const [wx, wy, ww, wh] = weights;
  const out = new Float32Array(reference.length);
  for (let i = 0; i < reference.length; i += 4) {
    const rw = reference[i + 2] - reference[i], rh = reference[i + 3] - reference[i + 1];
    const rcx = reference[i] + 0.5 * rw, rcy = reference[i + 1] + 0.5 * rh;
    const dw = Math.min(deltas[i + 2] / ww, BBOX_XFORM_CLIP), dh = Math.min(deltas[i + 3] / wh, BBOX_XFORM_CLIP);
    const cx = (deltas[i] / wx) * rw + rcx, cy = (deltas[i + 1] / wy) * rh + rcy;
    const w = Math.exp(dw) * rw, h = Math.exp(dh) * rh;
    out[i] = cx - 0.5 * w;
    out[i + 1] = cy - 0.5 * h;
    out[i + 2] = cx + 0.5 * w;
    out[i + 3] = cy + 0.5 * h;
  }
  return out;
}
