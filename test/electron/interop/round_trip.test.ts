// The real distributed round trip (needs Python 3 with PyTorch + torchvision: Debian's python3-torch
// python3-torchvision, which .ci/run installs): export the fixture for torchvision, `torchrun
// --nproc_per_node=2` trains a few iterations on CPU with gloo, import-run converts its checkpoint, and
// Fieldwork's predictions from the converted weights equal the script's own on the val images (box IoU
// ≥ 0.99 per matched detection, scores within 1e-3). Then export-weights writes the run back as a .pth
// and PyTorch's predictions from that file equal Fieldwork's again.
// The run predicts at the images' own size (640 px): resizing differs between sharp (Fieldwork) and PIL
// (the script) by about one grey level, which is a different input, not a different model.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { CocoResult } from '../../../trainer/common/coco.ts';
import { Project } from '../../../electron/services/project.ts';
import { reviewImages } from '../../../electron/services/review.ts';
import { FIELDWORK_MODEL_PY, findTorchPython } from '../../../electron/services/interop/weights_io.ts';
import { tempDir } from '../../helpers/tmp.ts';
import { cli, fixtureProject } from './fixture.ts';

const TRAINER_BIN = fileURLToPath(new URL('../../../bin/fieldwork-train.js', import.meta.url));
const python = findTorchPython();

function iou(a: number[], b: number[]): number {
  const iw = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih, union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** Matches each of `ref`'s detections (best score first) to one of `ours` of the same image and class; returns the worst figures. */
function compare(ref: CocoResult[], ours: CocoResult[]): { matched: number; worstIou: number; worstScore: number } {
  const used = new Set<number>();
  let worstIou = 1, worstScore = 0, matched = 0;
  for (const d of [...ref].sort((a, b) => b.score - a.score)) {
    let best = -1, bestJ = -1;
    ours.forEach((e, j) => {
      if (used.has(j) || e.image_id !== d.image_id || e.category_id !== d.category_id || Math.abs(e.score - d.score) > 1e-3) return;
      const v = iou(d.bbox, e.bbox);
      if (v > best) { best = v; bestJ = j; }
    });
    if (bestJ < 0) continue;
    used.add(bestJ);
    matched++;
    worstIou = Math.min(worstIou, best);
    worstScore = Math.max(worstScore, Math.abs(ours[bestJ].score - d.score));
  }
  return { matched, worstIou, worstScore };
}

describe('torchvision round trip', { skip: python ? false : 'needs Python 3 with torch + torchvision (apt-get install python3-torch python3-torchvision)' }, () => {
  test('torchrun ×2 (gloo, CPU) → import-run → Fieldwork predictions equal the script\'s → export-weights → equal again', async () => {
    const t0 = Date.now();
    const dir = await fixtureProject();
    const out = join(tempDir(), 'tv');
    const overrides = join(tempDir(), 'overrides.json');
    writeFileSync(overrides, JSON.stringify({ input: { trainShortSides: [128], testShortSide: 640, maxSize: 640 }, solver: { imsPerBatch: 2, epochs: 5 } }));
    const exported = await cli('export-run', dir, out, '--engine', 'torchvision', '--preset', 'tiny', '--config', overrides);
    assert.equal(exported.code, 0, exported.err);

    // torch 1.13 on Python 3.11 (Debian bookworm) cannot parse torchrun's default --redirects 0; 1 tees stdout.
    const tr = spawnSync(python!, ['-m', 'torch.distributed.run', '--standalone', '--redirects', '1', '--tee', '1', '--nproc_per_node=2', 'train.py', '--iterations', '6', '--ims-per-process', '1'],
      { cwd: out, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 170_000 });
    assert.equal(tr.status, 0, `torchrun failed:\n${tr.stdout}\n${tr.stderr}`);
    const summary = JSON.parse(readFileSync(join(out, 'output', 'summary.json'), 'utf8'));
    assert.equal(summary.processes, 2);
    assert.equal(summary.iterations, 6);
    const tLoss = readFileSync(join(out, 'output', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(tLoss.length, 6);
    assert.ok(tLoss.every((l) => Number.isFinite(l.loss)));
    const trained = Date.now();

    const imported = await cli('import-run', dir, out, '--json');
    assert.equal(imported.code, 0, imported.err);
    const s = JSON.parse(imported.out);
    assert.ok(s.checkpoint && existsSync(s.checkpoint), 'weights converted to a Fieldwork checkpoint');
    const runDir = join(dir, 'runs', s.runId);
    const curve = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === 'progress');
    assert.deepEqual(curve.map((e) => e.iteration), [1, 2, 3, 4, 5, 6], 'the DDP run\'s loss curve came along');
    const theirs = JSON.parse(readFileSync(join(out, 'output', 'coco_instances_results.json'), 'utf8')) as CocoResult[];
    assert.ok(theirs.length > 0, 'the script predicted something to compare');

    const oursPath = join(tempDir(), 'ours.json');
    const pr = spawnSync(process.execPath, [TRAINER_BIN, 'predict', runDir, '--images', join(out, 'datasets', 'val.json'), '--out', oursPath], { encoding: 'utf8' });
    assert.equal(pr.status, 0, pr.stderr);
    const ours = JSON.parse(readFileSync(oursPath, 'utf8')) as CocoResult[];
    const c = compare(theirs, ours);
    console.log(`# round trip: ${theirs.length} torchvision / ${ours.length} Fieldwork detections on ${s.valImages} val images; matched ${c.matched}, worst box IoU ${c.worstIou.toFixed(4)}, worst |Δscore| ${c.worstScore.toExponential(2)}`);
    assert.equal(ours.length, theirs.length);
    assert.equal(c.matched, theirs.length, 'every detection matched');
    assert.ok(c.worstIou >= 0.99, `worst IoU ${c.worstIou}`);
    assert.ok(c.worstScore <= 1e-3, `worst score difference ${c.worstScore}`);

    // Its results are a review run like any other.
    const p = Project.open(dir);
    try {
      const stored = (p.db.prepare('SELECT COUNT(*) AS n FROM predictions WHERE run_id = ?').get(s.runId) as { n: number }).n;
      assert.equal(stored, theirs.length);
      assert.ok(reviewImages(p, s.runId, { minScore: 0 }).length > 0);
    } finally {
      p.close();
    }

    // A folder holding only the .pth (trained elsewhere with torch.save) converts to the same checkpoint.
    const { readCheckpoint } = await import('../../../trainer/checkpoint.ts');
    renameSync(join(out, 'output', 'model_final.safetensors'), join(out, 'output', 'moved.safetensors'));
    const fromPth = await cli('import-run', dir, out, '--json');
    renameSync(join(out, 'output', 'moved.safetensors'), join(out, 'output', 'model_final.safetensors'));
    assert.equal(fromPth.code, 0, fromPth.err);
    const a = readCheckpoint(s.checkpoint), b = readCheckpoint(JSON.parse(fromPth.out).checkpoint);
    for (const [name, t] of a.params) assert.deepEqual(b.params.get(name)!.data, t.data, name);

    // The reverse: the run's weights as a torchvision .pth; PyTorch predicts the same from it.
    const pth = join(tempDir(), 'model.pth');
    const ew = await cli('export-weights', dir, s.runId, pth, '--format', 'torchvision');
    assert.equal(ew.code, 0, ew.err);
    const back = join(tempDir(), 'back.json');
    const py = spawnSync(python!, [FIELDWORK_MODEL_PY, 'predict', join(out, 'fieldwork-run.json'), pth, join(out, 'datasets', 'val.json'), back], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
    assert.equal(py.status, 0, py.stderr);
    const again = JSON.parse(readFileSync(back, 'utf8')) as CocoResult[];
    const c2 = compare(again, ours);
    console.log(`# export-weights: ${again.length} PyTorch detections from the .pth; matched ${c2.matched}, worst box IoU ${c2.worstIou.toFixed(4)}, worst |Δscore| ${c2.worstScore.toExponential(2)}`);
    assert.equal(c2.matched, ours.length);
    assert.ok(c2.worstIou >= 0.99 && c2.worstScore <= 1e-3);
    console.log(`# round trip times: torchrun ${((trained - t0) / 1000).toFixed(1)} s (with export), the rest ${((Date.now() - trained) / 1000).toFixed(1)} s`);
  });
});
