// YOLO detection and segmentation folders as Ultralytics and Roboflow write them.
// Layouts: `train/ valid|val/ test/` each with `images/` + `labels/` (Roboflow); `images/{train,val,test}` +
// `labels/{train,val,test}` (Ultralytics); or a flat `images/` + `labels/`. Classes from `data.yaml`
// (`names` as a list or a map of index → name; any *.yaml with `names`) or `classes.txt`.
// A line is `class cx cy w h` (a box) or `class x1 y1 x2 y2 …` (a polygon), all normalised to 0–1.
// An empty label file is an image that was looked at and has no objects; no label file at all is unlabelled.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { SkippedItem, Split } from '../../api.ts';
import { UserError } from '../errors.ts';
import { isImagePath } from '../images.ts';
import type { ParsedAnnotation, ParsedDataset, ParsedImage } from './ingest.ts';

const SPLITS: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };
/** Values this far outside 0–1 are rounding (clamped, counted in a warning); further out the line is skipped. */
const CLAMP_TOLERANCE = 0.01;

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const stripBom = (s: string) => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s);

/** Image/label folder pairs of a YOLO dataset, each with its split. */
export function yoloFolders(root: string): { images: string; labels: string; split: Split }[] {
  const pairs: { images: string; labels: string; split: Split }[] = [];
  for (const name of readdirSync(root).sort()) {
    const split = SPLITS[name.toLowerCase()];
    if (split && isDir(join(root, name, 'images'))) pairs.push({ images: join(root, name, 'images'), labels: join(root, name, 'labels'), split });
  }
  if (pairs.length > 0) return pairs;
  if (isDir(join(root, 'images'))) {
    const sub = readdirSync(join(root, 'images')).sort().filter((n) => SPLITS[n.toLowerCase()] && isDir(join(root, 'images', n)));
    if (sub.length > 0) return sub.map((n) => ({ images: join(root, 'images', n), labels: join(root, 'labels', n), split: SPLITS[n.toLowerCase()] }));
    return [{ images: join(root, 'images'), labels: join(root, 'labels'), split: 'train' }];
  }
  return [];
}

/** Class names from data.yaml (list or map) or classes.txt; [] when neither is there. */
export function yoloClassNames(root: string, warnings: string[]): { names: string[]; from?: string } {
  const yamls = readdirSync(root).filter((f) => /\.ya?ml$/i.test(f)).sort((a, b) => (a.toLowerCase() === 'data.yaml' ? -1 : b.toLowerCase() === 'data.yaml' ? 1 : a.localeCompare(b)));
  for (const f of yamls) {
    let doc: unknown;
    try {
      doc = parseYaml(stripBom(readFileSync(join(root, f), 'utf8')));
    } catch (err) {
      throw new UserError(`${f}: not valid YAML (${(err as Error).message.split('\n')[0]}).`);
    }
    const names = (doc as { names?: unknown } | null)?.names;
    if (names === undefined) continue;
    if (Array.isArray(names)) return { names: names.map((n) => String(n)), from: f };
    if (names && typeof names === 'object') {
      const entries = Object.entries(names as Record<string, unknown>).map(([k, v]) => [Number(k), String(v)] as const);
      if (entries.some(([k]) => !Number.isInteger(k) || k < 0)) throw new UserError(`${f}: names map has keys that are not class indices: ${Object.keys(names).join(', ')}.`);
      const max = Math.max(-1, ...entries.map(([k]) => k));
      const list = Array.from({ length: max + 1 }, (_, i) => entries.find(([k]) => k === i)?.[1]);
      const gaps = list.map((n, i) => (n === undefined ? i : -1)).filter((i) => i >= 0);
      if (gaps.length > 0) warnings.push(`${f}: names has no entry for class ${gaps.join(', ')}; those classes are named by their index.`);
      return { names: list.map((n, i) => n ?? String(i)), from: f };
    }
    throw new UserError(`${f}: names must be a list or a map of index → name.`);
  }
  const txt = join(root, 'classes.txt');
  if (existsSync(txt)) return { names: stripBom(readFileSync(txt, 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean), from: 'classes.txt' };
  return { names: [] };
}

function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (isImagePath(p)) out.push(p);
    }
  };
  if (isDir(dir)) walk(dir);
  return out;
}

function listLabels(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toLowerCase().endsWith('.txt')) out.push(p);
    }
  };
  if (isDir(dir)) walk(dir);
  return out;
}

/** Parses one label file's text; lines it cannot use go to `skipped` with their line number. */
export function parseYoloLabels(text: string, file: string, names: string[], skipped: SkippedItem[], image?: string): { annotations: ParsedAnnotation[]; clamped: number } {
  const annotations: ParsedAnnotation[] = [];
  let clamped = 0;
  const lines = stripBom(text).split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `line ${i + 1}`;
    const skip = (reason: string) => skipped.push({ file, image, annotation: where, reason });
    const parts = line.split(/[\s,]+/);
    const cls = Number(parts[0]);
    const values = parts.slice(1).map(Number);
    if (!Number.isInteger(cls) || cls < 0) return skip(`class index "${parts[0]}" is not a whole number ≥ 0`);
    if (names.length > 0 && cls >= names.length) return skip(`class index ${cls} is out of range (${names.length} class${names.length > 1 ? 'es' : ''} declared)`);
    if (values.some((v) => !Number.isFinite(v))) return skip('a value is not a number');
    if (values.length !== 4 && values.length % 2 === 1) return skip(`a polygon needs x y pairs; this line has an odd number (${values.length}) of coordinates`);
    if (values.length !== 4 && values.length < 6) return skip(`${values.length} values: neither a box (4) nor a polygon (≥ 3 points)`);
    if (values.some((v) => v < -CLAMP_TOLERANCE || v > 1 + CLAMP_TOLERANCE)) return skip('coordinates outside 0–1 (YOLO labels are normalised to the image size)');
    const fixed = values.map((v) => Math.min(1, Math.max(0, v)));
    if (fixed.some((v, k) => v !== values[k])) clamped++;
    const className = names[cls] ?? String(cls);
    if (values.length === 4) {
      const [cx, cy, w, h] = fixed;
      annotations.push({ className, file, annotation: where, geometry: (W, H) => ({ kind: 'box', bbox: [(cx - w / 2) * W, (cy - h / 2) * H, w * W, h * H] }) });
    } else {
      annotations.push({ className, file, annotation: where, geometry: (W, H) => ({ kind: 'polygon', rings: [fixed.map((v, k) => (k % 2 === 0 ? v * W : v * H))] }) });
    }
  });
  return { annotations, clamped };
}

export function isYoloFolder(root: string): boolean {
  return yoloFolders(root).some((p) => isDir(p.labels));
}

export function parseYolo(root: string): ParsedDataset {
  const warnings: string[] = [];
  const skipped: SkippedItem[] = [];
  const folders = yoloFolders(root);
  if (folders.length === 0 || !folders.some((p) => isDir(p.labels))) throw new UserError(`${root}: not a YOLO dataset (no images/ and labels/ folders, neither at the top nor in train/ val/ test/).`);
  const { names, from } = yoloClassNames(root, warnings);
  if (names.length === 0) warnings.push('no data.yaml or classes.txt with class names; classes are named by their index.');
  const images: ParsedImage[] = [];
  let clamped = 0;
  for (const { images: imgDir, labels: labelDir, split } of folders) {
    const byStem = new Map<string, string>();
    for (const p of listImages(imgDir)) byStem.set(relative(imgDir, p).slice(0, -extname(p).length).toLowerCase(), p);
    const labelled = new Set<string>();
    for (const labelFile of listLabels(labelDir)) {
      const rel = relative(root, labelFile);
      const stem = relative(labelDir, labelFile).slice(0, -4).toLowerCase();
      if (basename(labelFile).toLowerCase() === 'classes.txt') continue;
      const imagePath = byStem.get(stem);
      const text = readFileSync(labelFile, 'utf8');
      const parsed = parseYoloLabels(text, rel, names, skipped, imagePath ? basename(imagePath) : undefined);
      clamped += parsed.clamped;
      if (!imagePath) {
        images.push({ fileName: `${stem} (no image)`, split, labelFile: rel, annotations: parsed.annotations, seen: true });
        continue;
      }
      labelled.add(stem);
      const empty = stripBom(text).trim() === '';
      images.push({ path: imagePath, fileName: basename(imagePath), split, labelFile: rel, annotations: parsed.annotations, seen: empty });
    }
    for (const [stem, p] of byStem) if (!labelled.has(stem)) images.push({ path: p, fileName: basename(p), split, annotations: [], seen: false });
  }
  if (clamped > 0) warnings.push(`${clamped} label line(s) had coordinates just outside 0–1 (by ≤ ${CLAMP_TOLERANCE}); they were clamped to the image.`);
  if (from) warnings.unshift(`classes from ${from}: ${names.length}`);
  return { format: 'yolo', classNames: names, images, skipped, warnings };
}
