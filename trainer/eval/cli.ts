// `fieldwork eval --gt <coco.json> --dt <coco-results.json> --iou-type bbox|segm [--json]`
// Prints COCOeval.summarize()'s 12 lines and a per-class AP table, or JSON with --json.
// Exit codes: 0 ok, 2 bad usage or bad input (one line on stderr).

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { CocoDataset, CocoResult } from '../common/coco.ts';
import { EvalInputError, evaluateCoco, formatPerCategory, formatSummary, type IouType } from './coco_eval.ts';

export interface EvalCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: EvalCommandIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

export const EVAL_USAGE = 'usage: fieldwork eval --gt <coco.json> --dt <coco-results.json> --iou-type bbox|segm [--json]';

class InputError extends Error {}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`cannot read ${what} file ${path}${code ? ` (${code})` : ''}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what} file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function checkGt(x: unknown, path: string): CocoDataset {
  if (!isObj(x) || !Array.isArray(x.images) || !Array.isArray(x.annotations) || !Array.isArray(x.categories)) {
    throw new InputError(`ground truth ${path} is not a COCO dataset (needs images, annotations and categories arrays)`);
  }
  for (const a of x.annotations as unknown[]) {
    if (!isObj(a) || typeof a.image_id !== 'number' || typeof a.category_id !== 'number' || !Array.isArray(a.bbox) || typeof a.area !== 'number') {
      throw new InputError(`ground truth ${path}: annotation ${isObj(a) ? String(a.id) : '?'} lacks image_id/category_id/bbox/area`);
    }
  }
  return x as unknown as CocoDataset;
}

function checkDt(x: unknown, path: string): CocoResult[] {
  if (!Array.isArray(x)) throw new InputError(`results ${path} must be a JSON array of detections`);
  x.forEach((r, i) => {
    if (!isObj(r) || typeof r.image_id !== 'number' || typeof r.category_id !== 'number' || typeof r.score !== 'number') {
      throw new InputError(`results ${path}: entry ${i} lacks a numeric image_id, category_id or score`);
    }
  });
  return x as CocoResult[];
}

export async function runEvalCommand(argv: string[], io: EvalCommandIo = defaultIo): Promise<number> {
  let values: { gt?: string; dt?: string; 'iou-type'?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        gt: { type: 'string' },
        dt: { type: 'string' },
        'iou-type': { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    io.err(`fieldwork eval: ${(e as Error).message.split('\n')[0]}; ${EVAL_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(EVAL_USAGE);
    return 0;
  }
  const iouType = values['iou-type'] ?? 'bbox';
  if (!values.gt || !values.dt) {
    io.err(`fieldwork eval: --gt and --dt are required; ${EVAL_USAGE}`);
    return 2;
  }
  if (iouType !== 'bbox' && iouType !== 'segm') {
    io.err(`fieldwork eval: --iou-type must be bbox or segm, not "${iouType}"`);
    return 2;
  }
  try {
    const gt = checkGt(await readJson(values.gt, 'ground-truth'), values.gt);
    const dt = checkDt(await readJson(values.dt, 'results'), values.dt);
    const res = evaluateCoco(gt, dt, iouType as IouType);
    if (values.json) {
      io.out(JSON.stringify({ iouType: res.iouType, stats: res.stats, perCategory: res.perCategory }));
    } else {
      io.out(`${formatSummary(res.stats, res.iouType)}\n\n${formatPerCategory(res.perCategory)}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof InputError || e instanceof EvalInputError) {
      io.err(`fieldwork eval: ${e.message}`);
      return 2;
    }
    io.err(`fieldwork eval: invalid input: ${(e as Error).message}`);
    return 2;
  }
}
