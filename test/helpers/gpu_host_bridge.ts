// Runs in the test's page in place of the GPU host window's preload (electron/gpu-host-preload.ts):
// it makes a MessageChannel, hands one port to the page exactly as the preload does
// (window.postMessage({type: 'fieldwork-gpu-port'}, '*', [port])), and pipes the other end to a
// loopback WebSocket to the Node test, which stands in for Electron's MessageChannelMain (./wire.ts).
import { GPU_PORT_MESSAGE } from '../../trainer/gpu_host/names.ts';
import { decode, encode } from './wire.ts';

const ws = new WebSocket(`ws://${location.host}/bridge`);
ws.binaryType = 'arraybuffer';
ws.onopen = () => {
  const { port1, port2 } = new MessageChannel();
  port2.onmessage = (e) => ws.send(encode(e.data));
  ws.onmessage = (e) => port2.postMessage(decode(e.data as ArrayBuffer));
  window.postMessage({ type: GPU_PORT_MESSAGE }, '*', [port1]);
};
