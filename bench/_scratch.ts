import * as tf from '@tensorflow/tfjs-core';
import { initBackend, useBackendForTest } from '/work/main/trainer/backend/index.ts';
const name = await initBackend('wasm'); console.log(name);
function grads(x: tf.Tensor4D, w: tf.Tensor4D, s: number, pad: 'same'|'valid') {
  const f = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x, w, s, pad), tf.range(0, 1e9).slice(0,1).add(1)));
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, s, pad))));
  return g([x, w]).map(t => t.dataSync());
}
for (const [s, pad, k, H] of [[1,'same',3,9],[2,'same',3,10],[2,'same',1,10],[2,'valid',3,9],[2,'same',7,11]] as const) {
  await useBackendForTest('cpu');
  const x = tf.randomNormal([2,H,H,3],0,1,'float32',1) as tf.Tensor4D; const w = tf.randomNormal([k,k,3,5],0,1,'float32',2) as tf.Tensor4D;
  const xa = x.arraySync(), wa = w.arraySync();
  const ref = grads(x,w,s,pad as any);
  await useBackendForTest('wasm');
  const got = grads(tf.tensor4d(xa), tf.tensor4d(wa), s, pad as any);
  const err = (a: any, b: any) => Math.max(...Array.from(a as Float32Array).map((v,i)=>Math.abs(v-b[i])/(1+Math.abs(b[i]))));
  console.log(s,pad,k,H, err(got[0],ref[0]), err(got[1],ref[1]));
}
// timing
await useBackendForTest('wasm');
const x = tf.randomNormal([2,64,64,64]) as tf.Tensor4D, w = tf.randomNormal([3,3,64,64]) as tf.Tensor4D;
const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')));
for (let i=0;i<3;i++){ const t=Date.now(); const r = g([x,w]); r.forEach(t=>t.dataSync()); console.log('grad ms', Date.now()-t); r.forEach(t=>t.dispose()); }
const t=Date.now(); for (let i=0;i<5;i++) tf.conv2d(x,w,1,'same').dataSync(); console.log('fwd ms', (Date.now()-t)/5);
