// The scale-out commands of `fieldwork` (electron/cli/fieldwork.ts dispatches here):
//   export-run <project-dir> <out-dir> --engine detectron2|torchvision [--preset P] [--run ID] [--images copy|link|absolute] [--norm GN|SyncBN] [--ims-per-batch N]
//   import-run <project-dir> <out-dir | results.json>
//   export-weights <project-dir> <run> <out.pth | out.safetensors> --format torchvision
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import { Project } from '../project.ts';
import { exportRun, type Engine, type ImagesMode } from './export_run.ts';
import { importRun } from './import_run.ts';
import { checkpointToTorchvision, writeTorchvisionWeights } from './weights_io.ts';
import type { Detectron2Norm } from './detectron2_config.ts';

export const INTEROP_USAGE = `fieldwork export-run <project-dir> <out-dir> --engine detectron2|torchvision [--preset P] [--run ID] [--images copy|link|absolute] [--norm GN|SyncBN] [--ims-per-batch N] [--config overrides.json]
fieldwork import-run <project-dir> <export-dir | results.json> [--json]
fieldwork export-weights <project-dir> <run-id> <out.pth | out.safetensors> --format torchvision`;

interface Out {
  log(line: string): void;
  error(line: string): void;
}

/** Runs one scale-out command; 0 ok, 1 bad input (UserError thrown to the caller), 2 usage. */
export async function interopCommand(command: string, args: string[], out: Out): Promise<number> {
  const usage = (msg: string) => { out.error(`fieldwork: ${msg}\n${INTEROP_USAGE}`); return 2; };
  let parsed;
  try {
    parsed = parseArgs({
      args, allowPositionals: true, strict: true,
      options: { engine: { type: 'string' }, preset: { type: 'string' }, run: { type: 'string' }, images: { type: 'string' }, norm: { type: 'string' }, 'ims-per-batch': { type: 'string' }, format: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values: v, positionals: p } = parsed;
  const withProject = async (fn: (project: Project) => Promise<number>) => {
    if (!existsSync(join(p[0], 'project.sqlite'))) throw new UserError(`${p[0]} is not a Fieldwork project (no project.sqlite).`);
    const project = Project.open(p[0]);
    try { return await fn(project); } finally { project.close(); }
  };
  switch (command) {
    case 'export-run': {
      if (p.length !== 2) return usage('export-run needs <project-dir> <out-dir>');
      if (v.engine !== 'detectron2' && v.engine !== 'torchvision') return usage('--engine must be detectron2 or torchvision');
      const ims = v['ims-per-batch'] !== undefined ? Number(v['ims-per-batch']) : undefined;
      if (ims !== undefined && !(Number.isInteger(ims) && ims > 0)) return usage('--ims-per-batch must be a positive whole number');
      let overrides: Record<string, unknown> | undefined;
      if (v.config !== undefined) {
        try { overrides = JSON.parse(readFileSync(v.config, 'utf8')); } catch (err) { throw new UserError(`--config ${v.config}: ${(err as Error).message}`); }
      }
      return withProject(async (project) => {
        const s = exportRun(project, p[1], { engine: v.engine as Engine, preset: v.preset, runId: v.run, overrides, images: v.images as ImagesMode | undefined, norm: v.norm as Detectron2Norm | undefined, imsPerBatch: ims });
        if (v.json) out.log(JSON.stringify(s));
        else out.log(`exported for ${s.engine} into ${s.outDir}: train ${s.splits.train.images}, val ${s.splits.val.images}, test ${s.splits.test.images} images, ${s.categories} classes; see its README.md`);
        return 0;
      });
    }
    case 'import-run': {
      if (p.length !== 2) return usage('import-run needs <project-dir> <export-dir | results.json>');
      return withProject(async (project) => {
        const s = await importRun(project, p[1]);
        if (v.json) out.log(JSON.stringify(s));
        else {
          const pct = (x: number | undefined) => (x === undefined || x < 0 ? '–' : `${(x * 100).toFixed(1)} %`);
          out.log(`imported run ${s.runId} (${s.engine}): ${s.results} detections on ${s.valImages} val images; box AP ${pct(s.bbox[0])} (AP50 ${pct(s.bbox[1])}), mask AP ${pct(s.segm[0])}`);
          out.log(s.checkpoint ? `  weights converted to ${s.checkpoint}: the run can predict (review, pre-labelling)` : '  results only (no weights to convert)');
        }
        return 0;
      });
    }
    case 'export-weights': {
      if (p.length !== 3) return usage('export-weights needs <project-dir> <run-id> <out.pth>');
      if (v.format !== 'torchvision') return usage('--format torchvision is required (the only format)');
      return withProject(async (project) => {
        if (!/^[\w.-]+$/.test(p[1])) throw new UserError(`No run "${p[1]}".`);
        const dir = project.resolveInside(join('runs', p[1]));
        const ck = [join(dir, 'checkpoints', 'best'), join(dir, 'checkpoints', 'last')].find((f) => existsSync(f));
        if (!ck) throw new UserError(`Run ${p[1]} has no checkpoint yet.`);
        const { state, categories } = await checkpointToTorchvision(ck);
        writeTorchvisionWeights(state, p[2]);
        out.log(`wrote ${p[2]}: ${state.size} tensors, ${categories.length} classes (${categories.map((c) => c.name).join(', ')}); load with fieldwork_model.build_model (export-run --engine torchvision)`);
        return 0;
      });
    }
    default:
      return usage(`unknown command "${command}"`);
  }
}
