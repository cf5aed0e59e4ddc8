// Pascal VOC XML: one <annotation> file per image, boxes only (<object><name/><bndbox/></object>).
// VOC pixel indices start at 1 (xmin = 1 is the first column); we store 0-based continuous boxes, so
// import subtracts 1 from xmin/ymin and export adds it back (Detectron2's VOC loader does the same).
// Layouts: VOC's Annotations/ + JPEGImages/ + ImageSets/Main/<split>.txt, or XML files beside the images.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, normalize, relative } from 'node:path';
import { XMLBuilder, XMLParser } from 'fast-xml-parser';
import type { SkippedItem, Split } from '../../api.ts';
import { UserError } from '../errors.ts';
import { isImagePath } from '../images.ts';
import { fmt } from './fmt.ts';
import type { ParsedAnnotation, ParsedDataset, ParsedImage } from './ingest.ts';

const SPLITS: Record<string, Split> = { train: 'train', val: 'val', valid: 'val', test: 'test' };

export function vocXml(fileName: string, width: number, height: number, objects: { name: string; bbox: number[]; difficult: boolean }[]): string {
  const builder = new XMLBuilder({ format: true, indentBy: '  ' });
  return builder.build({
    annotation: {
      folder: 'JPEGImages',
      filename: fileName,
      size: { width, height, depth: 3 },
      segmented: 0,
      object: objects.map((o) => ({
        name: o.name,
        pose: 'Unspecified',
        truncated: 0,
        difficult: o.difficult ? 1 : 0,
        bndbox: { xmin: fmt(o.bbox[0] + 1, 3), ymin: fmt(o.bbox[1] + 1, 3), xmax: fmt(o.bbox[0] + o.bbox[2], 3), ymax: fmt(o.bbox[1] + o.bbox[3], 3) },
      })),
    },
  });
}

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, trimValues: true, isArray: (name) => name === 'object' });

function xmlFiles(root: string): string[] {
  const dir = existsSync(join(root, 'Annotations')) ? join(root, 'Annotations') : root;
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.toLowerCase().endsWith('.xml')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function isVocFolder(root: string): boolean {
  const files = xmlFiles(root).slice(0, 5);
  return files.length > 0 && files.some((f) => /<annotation[\s>]/.test(readFileSync(f, 'utf8').slice(0, 4096)));
}

function splitsOf(root: string): Map<string, Split> {
  const map = new Map<string, Split>();
  const dir = join(root, 'ImageSets', 'Main');
  if (!existsSync(dir)) return map;
  for (const f of readdirSync(dir)) {
    const split = SPLITS[basename(f, '.txt').toLowerCase()];
    if (!split || !f.endsWith('.txt')) continue;
    for (const line of readFileSync(join(dir, f), 'utf8').replace(/^\uFEFF/, '').split(/\r?\n/)) if (line.trim()) map.set(line.trim().split(/\s+/)[0], split);
  }
  return map;
}

function findImage(root: string, xmlPath: string, fileName: string): string | undefined {
  const normal = normalize(fileName.replace(/\\/g, '/'));
  if (isAbsolute(fileName) || normal.startsWith('..')) return undefined;
  const candidates = [join(root, 'JPEGImages', normal), join(dirname(xmlPath), normal), join(root, 'images', normal), join(root, normal)];
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const num = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? Number(v) : typeof v === 'number' ? v : NaN);

export function parseVoc(root: string): ParsedDataset {
  const files = xmlFiles(root);
  if (files.length === 0) throw new UserError(`${root}: not a Pascal VOC dataset (no .xml files in Annotations/ or the folder).`);
  const splits = splitsOf(root);
  const skipped: SkippedItem[] = [];
  const warnings: string[] = [];
  const images: ParsedImage[] = [];
  const classNames: string[] = [];
  let difficult = 0;
  for (const xmlPath of files) {
    const file = relative(root, xmlPath);
    let doc: { annotation?: Record<string, unknown> };
    try {
      doc = parser.parse(readFileSync(xmlPath, 'utf8').replace(/^\uFEFF/, ''));
    } catch (err) {
      skipped.push({ file, reason: `not valid XML (${(err as Error).message.split('\n')[0]})` });
      continue;
    }
    const a = doc.annotation;
    if (!a || typeof a !== 'object') {
      skipped.push({ file, reason: 'no <annotation> element; not a VOC file' });
      continue;
    }
    const fileName = typeof a.filename === 'string' && a.filename ? a.filename : undefined;
    const stem = basename(xmlPath, extname(xmlPath));
    let path = fileName ? findImage(root, xmlPath, fileName) : undefined;
    if (!path) {
      // Some tools write a stale <filename>; the image beside the XML or in JPEGImages/ with the same stem is it.
      const dirs = [join(root, 'JPEGImages'), dirname(xmlPath)].filter((d) => existsSync(d));
      for (const d of dirs) {
        const hit = readdirSync(d).find((n) => basename(n, extname(n)) === stem && isImagePath(n));
        if (hit) path = join(d, hit);
        if (path) break;
      }
    }
    const size = a.size as Record<string, unknown> | undefined;
    const claimed: [number, number] | undefined = size && Number.isInteger(num(size.width)) && num(size.width) > 0 ? [num(size.width), num(size.height)] : undefined;
    const annotations: ParsedAnnotation[] = [];
    const objects = (a.object as Record<string, unknown>[] | undefined) ?? [];
    objects.forEach((o, i) => {
      const where = `object ${i + 1}`;
      const name = typeof o.name === 'string' ? o.name : '';
      const b = o.bndbox as Record<string, unknown> | undefined;
      if (!name.trim()) return skipped.push({ file, image: fileName, annotation: where, reason: 'object has no <name>' });
      if (!b) return skipped.push({ file, image: fileName, annotation: where, reason: 'object has no <bndbox> (only boxes are read)' });
      const [x0, y0, x1, y1] = [num(b.xmin), num(b.ymin), num(b.xmax), num(b.ymax)];
      if (![x0, y0, x1, y1].every(Number.isFinite)) return skipped.push({ file, image: fileName, annotation: where, reason: 'bndbox has a missing or non-numeric coordinate' });
      if (x1 < x0 || y1 < y0) return skipped.push({ file, image: fileName, annotation: where, reason: `bndbox has xmax < xmin or ymax < ymin (${x0},${y0},${x1},${y1})` });
      if (String(o.difficult) === '1') difficult++;
      if (!classNames.includes(name)) classNames.push(name);
      annotations.push({ className: name, file, annotation: where, geometry: { kind: 'box', bbox: [x0 - 1, y0 - 1, x1 - x0 + 1, y1 - y0 + 1] } });
    });
    images.push({ path, fileName: path ? basename(path) : fileName ?? `${stem} (no image)`, split: splits.get(stem) ?? 'train', labelFile: file, annotations, seen: objects.length === 0, claimedSize: claimed });
  }
  if (difficult > 0) warnings.push(`${difficult} objects were marked difficult; they are imported as ordinary boxes (the flag is not kept).`);
  return { format: 'voc', classNames, images, skipped, warnings };
}
