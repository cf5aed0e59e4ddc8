// The Train screen's "Trains on:" line from a measured estimate (renderer/src/lib/train/device-line.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceLine } from '../../renderer/src/lib/train/device-line.ts';

const adapter = { vendor: 'nvidia', architecture: 'ampere', device: '', description: 'NVIDIA GeForce RTX 3060', software: false, host: 'chromium' as const };

test('a hardware adapter is named, with its host', () => {
  assert.equal(deviceLine({ backend: 'webgpu', gpu: adapter }), "Trains on: nvidia ampere (NVIDIA GeForce RTX 3060) through the app's WebGPU");
});

test('a software adapter says it is a CPU emulation', () => {
  const line = deviceLine({ backend: 'webgpu', gpu: { ...adapter, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0', software: true, host: 'dawn-node' } });
  assert.match(line, /^Trains on: google swiftshader \(SwiftShader driver 5\.0\.0\) through Dawn's WebGPU — a software adapter: a CPU emulation/);
});

test('WASM names the CPU, and says why WebGPU was passed over when the trainer did', () => {
  assert.equal(deviceLine({ backend: 'wasm' }), 'Trains on: the CPU (WebAssembly)');
  assert.equal(deviceLine({ backend: 'wasm', notes: ['WebGPU not used: no adapter; falling back to WASM'] }), 'Trains on: the CPU (WebAssembly) — WebGPU not used: no adapter; falling back to WASM');
  assert.equal(deviceLine({ backend: 'wasm', notes: ['WebGPU adapter: x'] }), 'Trains on: the CPU (WebAssembly)', 'other notes are not a reason');
  assert.equal(deviceLine({ backend: 'webgpu' }), 'Trains on: a GPU through WebGPU (the adapter did not say which)');
});
