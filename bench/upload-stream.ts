// How much memory the browser-mode server uses while it receives one large upload (electron/web/uploads.ts):
// curl, a separate process, POSTs a generated file of N MiB; this process (the server) samples its own memory.
//   npx tsx bench/upload-stream.ts [MiB]        (default 512)
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Workbench } from '../electron/services/workbench.ts';
import { startWebServer } from '../electron/web/server.ts';
import { createUploadRoutes } from '../electron/web/uploads.ts';

const mib = Number(process.argv[2] ?? 512);
const dir = mkdtempSync(join(tmpdir(), 'fieldwork-upload-bench-'));
const source = join(dir, 'big.bin');
await new Promise<void>((resolve, reject) => {
  const out = createWriteStream(source);
  const chunk = Buffer.alloc(1024 * 1024, 7);
  let left = mib;
  const more = () => {
    while (left > 0) {
      left--;
      if (!out.write(chunk)) return void out.once('drain', more);
    }
    out.end(resolve);
  };
  out.on('error', reject);
  more();
});
const workbench = new Workbench({ userDataDir: join(dir, 'data'), resourcesDir: dir });
const server = await startWebServer({ workbench, staticDir: dir, allow: [], routes: { uploads: createUploadRoutes({ stagingRoot: join(dir, 'data', 'uploads'), maxFileBytes: (mib + 1) * 1024 * 1024 }) } });
const MB = 1024 * 1024;
const sample = () => process.memoryUsage();
const base = sample();
const peak = { rss: base.rss, heapUsed: base.heapUsed, arrayBuffers: base.arrayBuffers };
const timer = setInterval(() => {
  const m = sample();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
}, 20);
const begin = await fetch(`${server.origin}/x/uploads/begin`, { method: 'POST', headers: { 'x-fieldwork-token': server.token }, body: '{}' });
const { batch } = ((await begin.json()) as { result: { batch: string } }).result;
const started = performance.now();
const code = await new Promise<number>((resolve) => {
  const curl = spawn('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-H', `x-fieldwork-token: ${server.token}`, '-H', 'content-type: application/octet-stream', '--data-binary', `@${source}`, `${server.origin}/x/uploads/${batch}/file?path=big.bin`]);
  let status = '';
  curl.stdout.on('data', (d) => (status += d));
  curl.on('close', () => resolve(Number(status)));
});
const seconds = (performance.now() - started) / 1000;
clearInterval(timer);
const staged = statSync(join(dir, 'data', 'uploads', batch, 'big.bin')).size;
console.log(`upload of ${mib} MiB: HTTP ${code}, staged ${(staged / MB).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(mib / seconds).toFixed(0)} MiB/s)`);
console.log(`server memory, peak − before: rss +${((peak.rss - base.rss) / MB).toFixed(1)} MiB, heapUsed +${((peak.heapUsed - base.heapUsed) / MB).toFixed(1)} MiB, arrayBuffers +${((peak.arrayBuffers - base.arrayBuffers) / MB).toFixed(1)} MiB`);
await server.close();
workbench.close();
rmSync(dir, { recursive: true, force: true });
