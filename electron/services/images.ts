// Image import: read, validate and store image files in the project, content-addressed by sha256.
// sharp decodes every image fully once (to make its thumbnail), so truncated or corrupt files are caught
// here, with their reason, instead of later in the canvas or the trainer.
//
// Orientation: originals are stored byte for byte. `width`/`height` are the displayed size (EXIF orientation
// applied), which is what browsers show and what `sharp(file).rotate()` decodes; annotations live in that frame.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { ImageImportReport, ImageListQuery, ImageStatus, ImageSummary, ImportProblem, Split, SplitOrigin } from '../api.ts';
import { NotFoundError, UserError } from './errors.ts';
import type { Project } from './project.ts';

export const DEFAULT_MAX_PIXELS = 100_000_000;
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
export const THUMB_SIZE = 256;
const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);
const SUPPORTED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif', 'heif']);

export interface IngestOptions {
  maxPixels?: number;
}

/** An image read, checked and copied into the store, not yet recorded in the database. */
export interface StoredImage {
  hash: string;
  fileName: string;
  storedPath: string;
  thumbPath: string;
  width: number;
  height: number;
  sourcePath: string;
}

const megapixels = (pixels: number) => String(Number((pixels / 1e6).toPrecision(3)));

export function isImagePath(path: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(path).toLowerCase());
}

/** Files named directly are all tried; folders are walked recursively for image extensions, hidden entries skipped. */
export function expandImagePaths(paths: string[]): { files: string[]; problems: ImportProblem[] } {
  const files: string[] = [];
  const problems: ImportProblem[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue;
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && isImagePath(full)) files.push(full);
    }
  };
  for (const path of paths) {
    if (!existsSync(path)) problems.push({ path, reason: 'no such file or folder' });
    else if (statSync(path).isDirectory()) walk(path);
    else files.push(path);
  }
  // The same file named twice (directly and inside a folder) is read once.
  return { files: [...new Set(files.map((f) => resolve(f)))], problems };
}

/** Reads and checks one image file and stores its bytes and thumbnail. Throws UserError with the reason. */
export async function ingestImage(project: Project, path: string, options: IngestOptions = {}): Promise<StoredImage> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new UserError('file not found');
  }
  if (size === 0) throw new UserError('empty file (0 bytes)');
  if (size > MAX_FILE_BYTES) throw new UserError(`file too large (${(size / 2 ** 20).toFixed(0)} MiB)`);
  const bytes = readFileSync(path);
  let meta: Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    throw new UserError('not an image (unrecognised format)');
  }
  if (!meta.format || !SUPPORTED_FORMATS.has(meta.format)) throw new UserError(`unsupported format ${meta.format}`);
  if (!meta.width || !meta.height) throw new UserError('image has no size');
  const pixels = meta.width * meta.height;
  if (pixels > maxPixels) {
    throw new UserError(
      `too large: ${meta.width}×${meta.height} = ${megapixels(pixels)} MP, over the limit of ${megapixels(maxPixels)} MP`,
    );
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = rotated ? meta.height : meta.width;
  const height = rotated ? meta.width : meta.height;

  const hash = createHash('sha256').update(bytes).digest('hex');
  const ext = meta.format === 'jpeg' ? '.jpg' : `.${meta.format}`;
  const storedRel = join('images', hash.slice(0, 2), hash + ext);
  const thumbRel = join('thumbs', hash.slice(0, 2), hash + '.jpg');
  const thumbAbs = join(project.dir, thumbRel);
  const tmpSuffix = `.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  if (!existsSync(thumbAbs)) {
    mkdirSync(join(project.dir, 'thumbs', hash.slice(0, 2)), { recursive: true });
    try {
      // The full decode that catches truncated and corrupt files.
      await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'truncated' })
        .rotate()
        .resize(THUMB_SIZE, THUMB_SIZE, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#808080' })
        .jpeg({ quality: 80 })
        .toFile(thumbAbs + tmpSuffix);
    } catch (err) {
      throw new UserError(`cannot decode image: ${(err as Error).message.replace(/^Vips\w*: /, '')}`);
    }
    renameSync(thumbAbs + tmpSuffix, thumbAbs);
  }
  const storedAbs = join(project.dir, storedRel);
  if (!existsSync(storedAbs)) {
    mkdirSync(join(project.dir, 'images', hash.slice(0, 2)), { recursive: true });
    copyFileSync(path, storedAbs + tmpSuffix);
    renameSync(storedAbs + tmpSuffix, storedAbs);
  }
  return { hash, fileName: basename(path), storedPath: storedRel, thumbPath: thumbRel, width, height, sourcePath: path };
}


/** Inserts a stored image; returns its id. Call inside a transaction. */
export function insertImage(project: Project, image: StoredImage, split: Split = 'train'): number {
  const info = project.db
    .prepare(
      `INSERT INTO images (hash, file_name, stored_path, thumb_path, width, height, split, source_path, imported_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .run(image.hash, image.fileName, image.storedPath, image.thumbPath, image.width, image.height, split, image.sourcePath, new Date().toISOString());
  return Number(info.lastInsertRowid);
}

export async function importImages(
  project: Project,
  paths: string[],
  options: IngestOptions & { onProgress?: (done: number, total: number, current: string) => void } = {},
): Promise<ImageImportReport> {
  const { files, problems } = expandImagePaths(paths);
  const report: ImageImportReport = { imported: [], alreadyPresent: [], failed: [...problems] };
  // Files are read and stored in parallel, but recorded in walk order, so which of two identical files
  // becomes the image (and which is "already present") does not depend on timing.
  const stored: (StoredImage | undefined)[] = new Array(files.length);
  let done = 0;
  await mapLimit(files, 4, async (file, index) => {
    try {
      stored[index] = await ingestImage(project, file, options);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      report.failed.push({ path: file, reason: err.message });
    } finally {
      options.onProgress?.(++done, files.length, file);
    }
  });
  const byHash = project.db.prepare('SELECT id FROM images WHERE hash = ? ORDER BY id LIMIT 1');
  const seenThisRun = new Map<string, number>();
  files.forEach((file, index) => {
    const image = stored[index];
    if (!image) return;
    const existing = seenThisRun.get(image.hash) ?? (byHash.get(image.hash) as { id: number } | undefined)?.id;
    if (existing !== undefined) {
      report.alreadyPresent.push({ path: file, imageId: existing });
      return;
    }
    const id = project.db.transaction(() => insertImage(project, image))();
    seenThisRun.set(image.hash, id);
    report.imported.push(getImage(project, id));
  });
  report.imported.sort((a, b) => a.id - b.id);
  report.failed.sort((a, b) => files.indexOf(a.path) - files.indexOf(b.path));
  return report;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

interface ImageRow {
  id: number;
  file_name: string;
  width: number;
  height: number;
  split: Split;
  status: ImageStatus;
  split_origin: SplitOrigin;
  hash: string;
  annotation_count: number;
}

const IMAGE_COLUMNS = `i.id, i.file_name, i.width, i.height, i.split, i.split_origin, i.status, i.hash,
  (SELECT COUNT(*) FROM annotations a WHERE a.image_id = i.id) AS annotation_count`;

function toSummary(row: ImageRow): ImageSummary {
  return {
    id: row.id,
    fileName: row.file_name,
    width: row.width,
    height: row.height,
    split: row.split,
    status: row.status,
    splitOrigin: row.split_origin,
    hash: row.hash,
    annotationCount: row.annotation_count,
  };
}

export function listImages(project: Project, query: ImageListQuery = {}): ImageSummary[] {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.split) {
    where.push('i.split = ?');
    params.push(query.split);
  }
  if (query.status) {
    where.push('i.status = ?');
    params.push(query.status);
  }
  if (query.classId !== undefined) {
    where.push('EXISTS (SELECT 1 FROM annotations a WHERE a.image_id = i.id AND a.class_id = ?)');
    params.push(query.classId);
  }
  const sql = `SELECT ${IMAGE_COLUMNS} FROM images i ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY i.id`;
  return (project.db.prepare(sql).all(...params) as ImageRow[]).map(toSummary);
}

export function getImage(project: Project, id: number): ImageSummary {
  const row = project.db.prepare(`SELECT ${IMAGE_COLUMNS} FROM images i WHERE i.id = ?`).get(id) as ImageRow | undefined;
  if (!row) throw new NotFoundError(`No image with id ${id}.`);
  return toSummary(row);
}

export function setImageStatus(project: Project, id: number, status: ImageStatus): ImageSummary {
  if (!['unlabelled', 'in_progress', 'done', 'skipped'].includes(status)) throw new UserError(`Unknown image status ${status}.`);
  const info = project.db.transaction(() => project.db.prepare('UPDATE images SET status = ? WHERE id = ?').run(status, id))();
  if (info.changes === 0) throw new NotFoundError(`No image with id ${id}.`);
  return getImage(project, id);
}

/** Absolute paths of an image's stored bytes and thumbnail, for the media routes. */
export function imageFiles(project: Project, id: number): { full: string; thumb: string; fileName: string } {
  const row = project.db.prepare('SELECT stored_path, thumb_path, file_name FROM images WHERE id = ?').get(id) as
    | { stored_path: string; thumb_path: string; file_name: string }
    | undefined;
  if (!row) throw new NotFoundError(`No image with id ${id}.`);
  return { full: project.resolveInside(row.stored_path), thumb: project.resolveInside(row.thumb_path), fileName: row.file_name };
}
