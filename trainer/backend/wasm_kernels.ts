// Training kernels the tfjs WASM backend (4.22) does not have, or has only slowly:
//  - Conv2DBackpropFilter, two routes by shape:
//      * few images, large maps (backbone, FPN): a forward Conv2D with the roles swapped — x as
//        [C, H, W, B] "images", dy as a [OH, OW, B, CO] "filter" dilated by the stride — which runs
//        on XNNPACK, where the work of a large map belongs (im2col of a 7×7 stem is huge);
//      * many small maps (RoI heads): im2col (JS, into the WASM heap) → explicit Transpose →
//        BatchMatMul (WASM's transposeA path is a slow generic loop; an explicit transpose is not).
//  - Conv2DBackpropInput: a forward Conv2D of the stride-dilated, padded dy with the flipped,
//    in/out-swapped filter (WASM's own kernel is slow). Also makes conv2dTranspose fast. When
//    stride = kernel (the mask head's 2×2 deconv) it is one BatchMatMul and a block transpose.
//  - UnsortedSegmentSum: the gradient of gather; plain JS scatter-add.
//  - GroupNorm forward and backward, fused (../ops/group_norm_kernel.ts), used by model/layers.ts.
//  - BatchMatMul with transposeA/transposeB (every fc-layer gradient): explicit Transpose, then the
//    plain kernel, which runs on XNNPACK (WASM's transposed path does not).
// Each is checked numerically against the pure-JS backend in test/trainer/backend_kernels.test.ts.
import * as tf from '@tensorflow/tfjs-core';
import { backend_util, getKernel, registerKernel, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { registerGroupNormKernels } from '../ops/group_norm_kernel.ts';

/** The parts of BackendWasm we use (its class is not exported as a type from the package root). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: tf.backend_util.BackendValues): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object, force?: boolean): boolean;
}

function runWasm(name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>, backend: WasmBackend): TensorInfo {
  const k = getKernel(name, 'wasm');
  if (!k) throw new Error(`Error in runWasm: wasm kernel ${name} missing`);
  return k.kernelFunc({ inputs, attrs, backend } as never) as TensorInfo;
}

/** Max floats of one im2col chunk (16 MB); larger problems are split over output rows and summed. */
const IM2COL_CHUNK_FLOATS = 4 * 1024 * 1024;

/** The attributes both conv-gradient kernels receive, and the conv geometry they describe (NHWC only). */
type Shape4 = [number, number, number, number];
interface ConvGradAttrs {
  strides: [number, number] | number; pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil';
}
function convGradInfo(kernel: string, attrs: ConvGradAttrs, xShape: Shape4, filterShape: Shape4): backend_util.Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`Error in ${kernel} (wasm): dataFormat ${attrs.dataFormat} unsupported`);
  return backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

function conv2dBackpropFilter(args: { inputs: { x: TensorInfo; dy: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs;
  const attrs = args.attrs as unknown as ConvGradAttrs & { filterShape: Shape4 };
  const filterShape = attrs.filterShape;
  const info = convGradInfo('Conv2DBackpropFilter', attrs, x.shape as Shape4, filterShape);
  const [B, H, W, C] = x.shape;
  const { outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, outChannels: CO } = info;
  const padTop = info.padInfo.top, padLeft = info.padInfo.left;
  // Swapped-roles conv: output spatial size must come out as exactly KH × KW.
  const padBottom = (OH - 1) * SH + KH - H - padTop, padRight = (OW - 1) * SW + KW - W - padLeft;
  if (OH * OW >= 4 * B && padBottom >= 0 && padRight >= 0) {
    const xT = runWasm('Transpose', { x }, { perm: [3, 1, 2, 0] }, backend); // [C, H, W, B]
    const dyT = runWasm('Transpose', { x: dy }, { perm: [1, 2, 0, 3] }, backend); // [OH, OW, B, CO]
    const prod = runWasm('Conv2D', { x: xT, filter: dyT }, {
      strides: [1, 1], pad: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]], dataFormat: 'NHWC', dilations: [SH, SW], dimRoundingMode: undefined,
    }, backend); // [C, KH, KW, CO]
    const out = runWasm('Transpose', { x: prod }, { perm: [1, 2, 0, 3] }, backend);
    backend.disposeData(xT.dataId);
    backend.disposeData(dyT.dataId);
    backend.disposeData(prod.dataId);
    return out;
  }
  const K = KH * KW * C;
  const rowsPerImage = OH * OW;
  const chunkRows = Math.max(1, Math.min(B * rowsPerImage, Math.floor(IM2COL_CHUNK_FLOATS / K)));
  const total = B * rowsPerImage;
  const acc = new Float32Array(K * CO);
  for (let r0 = 0; r0 < total; r0 += chunkRows) {
    const n = Math.min(chunkRows, total - r0);
    const col = backend.makeOutput([n, K], 'float32');
    // Views after allocation: allocating may grow (and replace) the WASM heap buffer.
    const colV = backend.typedArrayFromHeap(col) as Float32Array;
    const xV = backend.typedArrayFromHeap(x) as Float32Array;
    colV.fill(0);
    for (let r = 0; r < n; r++) {
      const g = r0 + r;
      const b = Math.floor(g / rowsPerImage);
      const rem = g - b * rowsPerImage;
      const oy = Math.floor(rem / OW), ox = rem - oy * OW;
      const rowBase = r * K;
      for (let ky = 0; ky < KH; ky++) {
        const iy = oy * SH + ky - padTop;
        if (iy < 0 || iy >= H) continue;
        for (let kx = 0; kx < KW; kx++) {
          const ix = ox * SW + kx - padLeft;
          if (ix < 0 || ix >= W) continue;
          const src = ((b * H + iy) * W + ix) * C;
          colV.set(xV.subarray(src, src + C), rowBase + (ky * KW + kx) * C);
        }
      }
    }
    const colT = runWasm('Transpose', { x: col }, { perm: [1, 0] }, backend);
    backend.disposeData(col.dataId);
    const dyChunk = backend.makeOutput([1, n, CO], 'float32');
    const dyV = backend.typedArrayFromHeap(dy) as Float32Array;
    (backend.typedArrayFromHeap(dyChunk) as Float32Array).set(dyV.subarray(r0 * CO, (r0 + n) * CO));
    const a3 = { dataId: colT.dataId, shape: [1, K, n], dtype: 'float32' as const };
    const prod = runWasm('BatchMatMul', { a: a3, b: dyChunk }, { transposeA: false, transposeB: false }, backend);
    const pV = backend.typedArrayFromHeap(prod) as Float32Array;
    for (let i = 0; i < acc.length; i++) acc[i] += pV[i];
    backend.disposeData(colT.dataId);
    backend.disposeData(dyChunk.dataId);
    backend.disposeData(prod.dataId);
  }
  return backend.makeOutput(filterShape, 'float32', undefined, acc);
}

function conv2dBackpropInput(args: { inputs: { dy: TensorInfo; filter: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { dy, filter } = args.inputs;
  const attrs = args.attrs as unknown as ConvGradAttrs & { inputShape: Shape4 };
  const inputShape = attrs.inputShape;
  const info = convGradInfo('Conv2DBackpropInput', attrs, inputShape, filter.shape as Shape4);
  const [B, H, W, C] = inputShape;
  const { outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW, strideHeight: SH, strideWidth: SW, outChannels: CO } = info;
  if (SH === KH && SW === KW && info.padInfo.top === 0 && info.padInfo.left === 0 && H === OH * KH && W === OW * KW) {
    return nonOverlappingBackpropInput(backend, dy, filter, inputShape);
  }
  const pt = KH - 1 - info.padInfo.top, pl = KW - 1 - info.padInfo.left;
  const HP = H + KH - 1, WP = W + KW - 1;
  // dy dilated by the stride and padded so that a VALID stride-1 conv yields [B, H, W, C].
  const padded = backend.makeOutput([B, HP, WP, CO], 'float32');
  const flipped = backend.makeOutput([KH, KW, CO, C], 'float32');
  const pV = backend.typedArrayFromHeap(padded) as Float32Array;
  const fV = backend.typedArrayFromHeap(flipped) as Float32Array;
  const dyV = backend.typedArrayFromHeap(dy) as Float32Array;
  const wV = backend.typedArrayFromHeap(filter) as Float32Array;
  pV.fill(0);
  for (let b = 0; b < B; b++) {
    for (let oy = 0; oy < OH; oy++) {
      const py = pt + oy * SH;
      if (py < 0 || py >= HP) continue;
      for (let ox = 0; ox < OW; ox++) {
        const px = pl + ox * SW;
        if (px < 0 || px >= WP) continue;
        const src = ((b * OH + oy) * OW + ox) * CO;
        pV.set(dyV.subarray(src, src + CO), ((b * HP + py) * WP + px) * CO);
      }
    }
  }
  // flipped[ky, kx, co, c] = filter[KH-1-ky, KW-1-kx, c, co]
  for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) {
    const srcBase = ((KH - 1 - ky) * KW + (KW - 1 - kx)) * C * CO;
    const dstBase = (ky * KW + kx) * CO * C;
    for (let c = 0; c < C; c++) for (let co = 0; co < CO; co++) fV[dstBase + co * C + c] = wV[srcBase + c * CO + co];
  }
  const out = runWasm('Conv2D', { x: padded, filter: flipped }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined }, backend);
  backend.disposeData(padded.dataId);
  backend.disposeData(flipped.dataId);
  return out;
}

/**
 * Stride = kernel, no padding (the mask head's 2×2 stride-2 deconv): every dy pixel feeds its own
 * KH×KW block of dx, so dx is one matrix product dy [B·OH·OW, CO] × filterᵀ [CO, KH·KW·C] followed
 * by a block transpose — no zero-dilated input (which wastes (1 − 1/(SH·SW)) of a conv's work).
 */
function nonOverlappingBackpropInput(backend: WasmBackend, dy: TensorInfo, filter: TensorInfo, inputShape: [number, number, number, number]): TensorInfo {
  const [B, H, W, C] = inputShape;
  const [KH, KW, , CO] = filter.shape;
  const OH = H / KH, OW = W / KW, N = B * OH * OW, K = KH * KW * C;
  const fT = runWasm('Transpose', { x: { dataId: filter.dataId, shape: [K, CO], dtype: 'float32' } }, { perm: [1, 0] }, backend); // [CO, K]
  const prod = runWasm('BatchMatMul', {
    a: { dataId: dy.dataId, shape: [1, N, CO], dtype: 'float32' },
    b: { dataId: fT.dataId, shape: [1, CO, K], dtype: 'float32' },
  }, { transposeA: false, transposeB: false }, backend); // [1, N, K] = [B·OH, OW, KH, KW·C]
  backend.disposeData(fT.dataId);
  const out = runWasm('Transpose', { x: { dataId: prod.dataId, shape: [B * OH, OW, KH, KW * C], dtype: 'float32' } }, { perm: [0, 2, 1, 3] }, backend);
  backend.disposeData(prod.dataId);
  return { dataId: out.dataId, shape: [B, H, W, C], dtype: 'float32' };
}

function unsortedSegmentSum(args: { inputs: { x: TensorInfo; segmentIds: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs;
  const numSegments = args.attrs.numSegments as number;
  if (x.dtype !== 'float32') throw new Error(`Error in UnsortedSegmentSum (wasm): dtype ${x.dtype} unsupported`);
  const inner = util.sizeFromShape(x.shape.slice(segmentIds.shape.length));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(segmentIds.shape.length)], 'float32');
  const oV = backend.typedArrayFromHeap(out) as Float32Array;
  const xV = backend.typedArrayFromHeap(x) as Float32Array;
  const idV = backend.typedArrayFromHeap(segmentIds);
  oV.fill(0);
  for (let i = 0; i < idV.length; i++) {
    const s = idV[i];
    if (s < 0 || s >= numSegments) continue;
    const dst = s * inner, src = i * inner;
    for (let j = 0; j < inner; j++) oV[dst + j] += xV[src + j];
  }
  return out;
}

let plainBatchMatMul: KernelFunc | null = null;

function batchMatMul(args: { inputs: { a: TensorInfo; b: TensorInfo }; backend: unknown; attrs: Record<string, unknown> }): TensorInfo {
  const backend = args.backend as WasmBackend;
  let { a, b } = args.inputs;
  const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
  const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const temps: TensorInfo[] = [];
  if (transposeA) { a = runWasm('Transpose', { x: a }, { perm: swapLast(a.shape.length) }, backend); temps.push(a); }
  if (transposeB) { b = runWasm('Transpose', { x: b }, { perm: swapLast(b.shape.length) }, backend); temps.push(b); }
  const out = plainBatchMatMul!({ inputs: { a, b }, attrs: { transposeA: false, transposeB: false }, backend } as never) as TensorInfo;
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

let registered = false;

/** Registers the kernels above for the 'wasm' backend (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  const replace = (kernelName: string, kernelFunc: KernelFunc) => {
    if (getKernel(kernelName, 'wasm')) tf.unregisterKernel(kernelName, 'wasm');
    registerKernel({ kernelName, backendName: 'wasm', kernelFunc });
  };
  replace('Conv2DBackpropFilter', conv2dBackpropFilter as unknown as KernelFunc);
  replace('Conv2DBackpropInput', conv2dBackpropInput as unknown as KernelFunc);
  replace('UnsortedSegmentSum', unsortedSegmentSum as unknown as KernelFunc);
  registerGroupNormKernels('wasm');
  const plain = getKernel('BatchMatMul', 'wasm');
  if (plain) {
    plainBatchMatMul = plain.kernelFunc;
    const setup = plain.setupFunc;
    tf.unregisterKernel('BatchMatMul', 'wasm');
    registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: batchMatMul as unknown as KernelFunc, setupFunc: setup });
  }
}
