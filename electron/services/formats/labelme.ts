// LabelMe: one JSON per image ({shapes, imagePath, imageData, imageHeight, imageWidth}), beside the image
// or with the image embedded as base64 `imageData`. Polygons stay polygons; rectangles and circles become
// polygons (a circle as 32 vertices); shapes sharing a label and `group_id` are one instance with several
// parts. Lines, points and LabelMe's own mask shapes are not regions and are reported, not imported.
// Files inside train/ val/ valid/ test/ folders take that split.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, normalize, relative } from 'node:path';
import { createHash } from 'node:crypto';
import type { Geometry, SkippedItem, Split } from '../../api.ts';
import { UserError } from '../errors.ts';
import type { ParsedAnnotation, ParsedDataset, ParsedImage } from './ingest.ts';

const SPLITS: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };
const CIRCLE_VERTICES = 32;

interface LabelMeShape {
  label?: unknown;
  points?: unknown;
  shape_type?: unknown;
  group_id?: unknown;
}

function jsonFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (depth < 3) walk(p, depth + 1);
      } else if (name.toLowerCase().endsWith('.json')) out.push(p);
    }
  };
  walk(root, 0);
  return out;
}

const looksLikeLabelMe = (text: string) => /"shapes"\s*:/.test(text) && !/"annotations"\s*:/.test(text);

export function isLabelMeFolder(root: string): boolean {
  return jsonFiles(root).slice(0, 10).some((f) => looksLikeLabelMe(readFileSync(f, 'utf8').slice(0, 1 << 16)));
}

function splitOf(root: string, file: string): Split {
  for (const part of relative(root, dirname(file)).split(/[\\/]/)) if (SPLITS[part.toLowerCase()]) return SPLITS[part.toLowerCase()];
  return 'train';
}

/** The shape's rings in pixels, or the reason it is not a region. */
export function shapeRing(shape: LabelMeShape): { ring?: number[]; reason?: string } {
  const type = shape.shape_type === undefined || shape.shape_type === null ? 'polygon' : String(shape.shape_type);
  const pts = shape.points;
  if (!Array.isArray(pts) || !pts.every((p) => Array.isArray(p) && p.length >= 2 && p.slice(0, 2).every((v) => typeof v === 'number' && Number.isFinite(v)))) {
    return { reason: 'points must be a list of [x, y] number pairs' };
  }
  const p = pts as number[][];
  if (type === 'polygon') return p.length >= 3 ? { ring: p.flatMap((q) => [q[0], q[1]]) } : { reason: `polygon with ${p.length} point(s); a region needs 3` };
  if (type === 'rectangle') {
    if (p.length !== 2) return { reason: `rectangle with ${p.length} points; LabelMe writes 2 corners` };
    const [x0, x1] = [Math.min(p[0][0], p[1][0]), Math.max(p[0][0], p[1][0])];
    const [y0, y1] = [Math.min(p[0][1], p[1][1]), Math.max(p[0][1], p[1][1])];
    return { ring: [x0, y0, x1, y0, x1, y1, x0, y1] };
  }
  if (type === 'circle') {
    if (p.length !== 2) return { reason: `circle with ${p.length} points; LabelMe writes the centre and a point on the rim` };
    const r = Math.hypot(p[1][0] - p[0][0], p[1][1] - p[0][1]);
    const ring: number[] = [];
    for (let k = 0; k < CIRCLE_VERTICES; k++) ring.push(p[0][0] + r * Math.cos((2 * Math.PI * k) / CIRCLE_VERTICES), p[0][1] + r * Math.sin((2 * Math.PI * k) / CIRCLE_VERTICES));
    return { ring };
  }
  return { reason: `shape type "${type}" is not a region (only polygon, rectangle and circle are imported)` };
}

/** Writes embedded base64 imageData to a temporary file (named by its content) so it can be stored like any image. */
function embeddedImage(data: string, name: string): string {
  const bytes = Buffer.from(data, 'base64');
  const dir = join(tmpdir(), 'fieldwork-labelme');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}${extname(name) || '.png'}`);
  if (!existsSync(path)) writeFileSync(path, bytes);
  return path;
}

export function parseLabelMe(root: string): ParsedDataset {
  const files = jsonFiles(root);
  const skipped: SkippedItem[] = [];
  const images: ParsedImage[] = [];
  const classNames: string[] = [];
  let embedded = 0;
  let seenAny = false;
  for (const jsonPath of files) {
    const file = relative(root, jsonPath);
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(readFileSync(jsonPath, 'utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      skipped.push({ file, reason: `not valid JSON (${(err as Error).message})` });
      continue;
    }
    if (!doc || typeof doc !== 'object' || !Array.isArray(doc.shapes)) {
      skipped.push({ file, reason: 'no "shapes" list; not a LabelMe file' });
      continue;
    }
    seenAny = true;
    const imagePath = typeof doc.imagePath === 'string' ? doc.imagePath : '';
    const fileName = basename(imagePath.replace(/\\/g, '/')) || `${basename(jsonPath, '.json')}.png`;
    let path: string | undefined;
    if (imagePath) {
      const normal = normalize(imagePath.replace(/\\/g, '/'));
      const candidates = isAbsolute(normal) || normal.startsWith('..') ? [join(dirname(jsonPath), basename(normal))] : [join(dirname(jsonPath), normal), join(dirname(jsonPath), basename(normal))];
      path = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    }
    if (!path && typeof doc.imageData === 'string' && doc.imageData.length > 0) {
      path = embeddedImage(doc.imageData, fileName);
      embedded++;
    }
    // Shapes sharing label and group_id are one instance.
    const groups = new Map<string, { label: string; rings: number[][]; first: number }>();
    (doc.shapes as LabelMeShape[]).forEach((shape, i) => {
      const where = `shape ${i + 1}`;
      const label = typeof shape?.label === 'string' ? shape.label : '';
      if (!label.trim()) return skipped.push({ file, image: fileName, annotation: where, reason: 'shape has no label' });
      const { ring, reason } = shapeRing(shape);
      if (!ring) return skipped.push({ file, image: fileName, annotation: where, reason: reason! });
      const key = shape.group_id === null || shape.group_id === undefined ? `#${i}` : `${label}\u0000${String(shape.group_id)}`;
      const g = groups.get(key) ?? { label, rings: [], first: i };
      g.rings.push(ring);
      groups.set(key, g);
    });
    const annotations: ParsedAnnotation[] = [...groups.values()].map((g) => {
      if (!classNames.includes(g.label)) classNames.push(g.label);
      const geometry: Geometry = { kind: 'polygon', rings: g.rings };
      return { className: g.label, geometry, file, annotation: `shape ${g.first + 1}` };
    });
    const w = Number(doc.imageWidth), h = Number(doc.imageHeight);
    images.push({ path, fileName, split: splitOf(root, jsonPath), labelFile: file, annotations, seen: (doc.shapes as unknown[]).length === 0, claimedSize: Number.isInteger(w) && w > 0 && Number.isInteger(h) && h > 0 ? [w, h] : undefined });
  }
  if (!seenAny) throw new UserError(`${root}: not a LabelMe folder (no JSON file with a "shapes" list).`);
  const warnings = embedded > 0 ? [`${embedded} image(s) came from the JSON's embedded imageData.`] : [];
  return { format: 'labelme', classNames, images, skipped, warnings };
}
