// Browser-mode uploads: the file picker and drag-and-drop of the import panel send their files here, one
// request per file, streamed to a staging folder in the app's data folder; the staged folder is then imported
// through the same services a typed path uses (images.import, coco.importDataset) and removed.
//
//   POST /x/uploads/begin                      {files?, bytes?}          → {result: {batch, maxFileBytes, maxBatchBytes}}
//   POST /x/uploads/<batch>/file?path=<rel>    raw bytes (the file)      → {result: {path, bytes}}
//   POST /x/uploads/<batch>/import             {as?, options?}           → {result: {as, report}}
//   POST /x/uploads/<batch>/cancel                                        → {result: {removed: true}}
//
// The server (server.ts) has already checked Host, Origin and the token before a request gets here. Errors
// answer as `{error: {kind, message, details}}`; a file over a limit with 413 naming the limit.
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ApiErrorPayload, DatasetImportOptions } from '../api.ts';
import { httpStatusFor, toErrorPayload, UserError } from '../services/errors.ts';
import type { RouteAuth, RouteModule } from './auth.ts';

export interface UploadOptions {
  /** Where batches are staged (inside the app's data folder), one sub-folder per batch. */
  stagingRoot: string;
  /** Largest single file, in bytes (default 512 MiB). */
  maxFileBytes?: number;
  /** Largest batch, all its files together, in bytes (default 8 GiB). */
  maxBatchBytes?: number;
  /** Most files in one batch (default 100 000). */
  maxFiles?: number;
}

export const DEFAULT_MAX_UPLOAD_FILE_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_BATCH_BYTES = 8 * 1024 * 1024 * 1024;
const MAX_JSON_BODY = 64 * 1024;
/** Staging folders left behind by a server that stopped mid-upload are removed after this long. */
const STALE_MS = 24 * 3600 * 1000;
/** What makes a dropped batch a dataset rather than plain images, when the client leaves the choice to us. */
const DATASET_EXTENSIONS = new Set(['.json', '.xml', '.yaml', '.yml', '.txt']);

interface Batch {
  dir: string;
  /** Bytes received, counted as they arrive (so files sent in parallel share the batch limit). */
  bytes: number;
  files: number;
  /** Files still being received: the batch imports only when none is. */
  writing: number;
  busy: boolean;
}

/** An upload refused because it is over a limit: answered with 413. */
class TooLargeError extends UserError {}

/**
 * A client-supplied relative path (a file name, or `webkitRelativePath` such as `export/train/a.jpg`) as a safe
 * relative POSIX path, or a UserError: no NUL or control characters, no backslashes, not absolute, no drive
 * letter, no `.`/`..`/empty segment.
 */
export function safeUploadPath(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0) throw new UserError('An uploaded file needs a name.', { path: name ?? null });
  const refuse = (why: string) => new UserError(`Refused the file name ${JSON.stringify(name)}: ${why}.`, { path: name, reason: why });
  if (/[\u0000-\u001f\u007f]/.test(name)) throw refuse('it holds a NUL or control character');
  if (name.includes('\\')) throw refuse('it holds a backslash');
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) throw refuse('it is an absolute path');
  if (name.length > 1024) throw refuse('it is longer than 1024 characters');
  const segments = name.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) throw refuse('it has an empty, "." or ".." part');
  if (segments.some((s) => s.length > 255)) throw refuse('a part is longer than 255 characters');
  if (segments.length > 32) throw refuse('it is more than 32 folders deep');
  return segments.join('/');
}

export function createUploadRoutes(options: UploadOptions): RouteModule {
  const stagingRoot = resolve(options.stagingRoot);
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_UPLOAD_FILE_BYTES;
  const maxBatchBytes = options.maxBatchBytes ?? DEFAULT_MAX_UPLOAD_BATCH_BYTES;
  const maxFiles = options.maxFiles ?? 100_000;
  const batches = new Map<string, Batch>();
  mkdirSync(stagingRoot, { recursive: true });
  removeStale(stagingRoot);

  const limitError = (what: string, limit: number, details: Record<string, unknown>) =>
    new TooLargeError(`${what} is over the upload limit of ${formatBytes(limit)} (${limit} bytes).`, { limitBytes: limit, ...details });

  return async (req, res, auth) => {
    try {
      const parts = new URL(req.url ?? '/', 'http://upload').pathname.split('/').slice(3);
      if (parts.length === 1 && parts[0] === 'begin') return sendResult(res, begin(await readJson(req)));
      const batchId = parts[0] ?? '';
      const batch = /^[0-9a-f]{32}$/.test(batchId) ? batches.get(batchId) : undefined;
      if (parts.length !== 2 || !batch) {
        drain(req);
        return sendError(res, toErrorPayload(new UserError(`No upload batch ${JSON.stringify(batchId)} (it was imported, cancelled or never begun).`, { batch: batchId })), 404);
      }
      if (parts[1] === 'file') return sendResult(res, await receiveFile(req, batch));
      if (parts[1] === 'import') return sendResult(res, await importBatch(batchId, batch, await readJson(req), auth));
      if (parts[1] === 'cancel') {
        drain(req);
        removeBatch(batchId, batch);
        return sendResult(res, { removed: true });
      }
      drain(req);
      return sendError(res, toErrorPayload(new UserError(`Unknown upload step ${JSON.stringify(parts[1])}.`)), 404);
    } catch (err) {
      const payload = toErrorPayload(err);
      if (err instanceof TooLargeError) {
        // The rest of an over-size body is not read: answer, then close the connection.
        res.setHeader('Connection', 'close');
        sendError(res, payload, 413);
        res.on('finish', () => req.destroy());
        return;
      }
      drain(req);
      sendError(res, payload);
    }
  };

  function begin(body: unknown): { batch: string; maxFileBytes: number; maxBatchBytes: number } {
    const declared = (body ?? {}) as { files?: unknown; bytes?: unknown };
    if (typeof declared.bytes === 'number' && declared.bytes > maxBatchBytes) throw limitError(`The upload (${formatBytes(declared.bytes)})`, maxBatchBytes, { limit: 'batch' });
    if (typeof declared.files === 'number' && declared.files > maxFiles) throw new TooLargeError(`The upload has ${declared.files} files, over the limit of ${maxFiles}.`, { limit: 'files', maxFiles });
    const id = randomBytes(16).toString('hex');
    const dir = join(stagingRoot, id);
    mkdirSync(dir);
    batches.set(id, { dir, bytes: 0, files: 0, writing: 0, busy: false });
    return { batch: id, maxFileBytes, maxBatchBytes };
  }

  async function receiveFile(req: IncomingMessage, batch: Batch): Promise<{ path: string; bytes: number }> {
    const rel = safeUploadPath(new URL(req.url ?? '/', 'http://upload').searchParams.get('path'));
    if (batch.busy) throw new UserError('This upload is being imported; start a new one.');
    if (batch.files >= maxFiles) throw new TooLargeError(`The upload has more than ${maxFiles} files.`, { limit: 'files', maxFiles });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxFileBytes) throw limitError(`${rel} (${formatBytes(declared)})`, maxFileBytes, { limit: 'file', path: rel });
    if (Number.isFinite(declared) && batch.bytes + declared > maxBatchBytes) throw limitError('The upload', maxBatchBytes, { limit: 'batch', path: rel });
    const target = resolve(batch.dir, rel);
    const back = relative(batch.dir, target);
    if (back.startsWith('..') || isAbsolute(back)) throw new UserError(`Refused the file name ${JSON.stringify(rel)}: it leaves the upload folder.`, { path: rel });
    try {
      mkdirSync(dirname(target), { recursive: true });
    } catch {
      throw new UserError(`Refused the file name ${JSON.stringify(rel)}: a file of this upload already has the name of one of its folders.`, { path: rel });
    }
    let written = 0;
    let over: TooLargeError | null = null;
    // Counts the bytes as they pass: the body goes to disk chunk by chunk, never whole into memory.
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        written += chunk.length;
        batch.bytes += chunk.length;
        if (written > maxFileBytes) over = limitError(rel, maxFileBytes, { limit: 'file', path: rel });
        else if (batch.bytes > maxBatchBytes) over = limitError('The upload', maxBatchBytes, { limit: 'batch', path: rel });
        done(over, over ? undefined : chunk);
      },
    });
    // The request is piped, not put in the pipeline: an over-size body must leave its socket open for the 413.
    req.on('error', (err) => counter.destroy(err));
    req.on('close', () => {
      if (!req.complete) counter.destroy(new Error('the browser stopped sending'));
    });
    req.pipe(counter);
    batch.writing++;
    try {
      // 'wx': a name given twice in one batch is refused, never overwritten.
      await pipeline(counter, createWriteStream(target, { flags: 'wx' }));
    } catch (err) {
      batch.bytes -= written;
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') rmSync(target, { force: true });
      if (over) throw over;
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new UserError(`${rel} was uploaded twice in one batch.`, { path: rel });
      throw new UserError(`The upload of ${rel} broke off: ${(err as Error).message}`, { path: rel });
    } finally {
      batch.writing--;
    }
    batch.files++;
    return { path: rel, bytes: written };
  }

  async function importBatch(id: string, batch: Batch, body: unknown, auth: RouteAuth) {
    const request = (body ?? {}) as { as?: unknown; options?: DatasetImportOptions };
    const as = request.as ?? 'auto';
    if (as !== 'images' && as !== 'dataset' && as !== 'auto') throw new UserError(`Import the upload as "images", "dataset" or "auto", not ${JSON.stringify(as)}.`);
    if (batch.busy) throw new UserError('This upload is already being imported.');
    if (batch.writing > 0) throw new UserError(`Wait until every file is uploaded: ${batch.writing} still arriving.`, { writing: batch.writing });
    if (batch.files === 0) {
      removeBatch(id, batch);
      throw new UserError('Nothing was uploaded: choose or drop at least one file.');
    }
    batch.busy = true;
    try {
      const files = listFiles(batch.dir);
      const api = auth.workbench.api;
      // 'auto': a dataset when a label file is among the files and the folder reads as one of the formats
      // (a notes.txt beside some photos leaves them images).
      const kind = as !== 'auto' ? as : files.some((f) => DATASET_EXTENSIONS.has(extname(f).toLowerCase())) && (await isDataset(auth, datasetRoot(batch.dir))) ? 'dataset' : 'images';
      const report =
        kind === 'images'
          ? await api.images.import([batch.dir])
          : await api.coco.importDataset(datasetRoot(batch.dir), request.options ?? {});
      // The staging folder goes away: report paths relative to what the user uploaded.
      return { as: kind, files: batch.files, bytes: batch.bytes, report: withoutPrefix(report, batch.dir) };
    } finally {
      removeBatch(id, batch);
    }
  }

  function removeBatch(id: string, batch: Batch): void {
    batches.delete(id);
    rmSync(batch.dir, { recursive: true, force: true });
  }
}

async function isDataset(auth: RouteAuth, dir: string): Promise<boolean> {
  try {
    return Boolean((await auth.workbench.api.coco.detect(dir)).format);
  } catch {
    return false;
  }
}

/** A dropped export folder arrives as `<name>/train/…`: import from inside its single top folder. */
function datasetRoot(dir: string): string {
  const entries = readdirSync(dir, { withFileTypes: true });
  return entries.length === 1 && entries[0].isDirectory() ? join(dir, entries[0].name) : dir;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) out.push(...listFiles(join(dir, entry.name), `${prefix}${entry.name}/`));
    else out.push(prefix + entry.name);
  }
  return out;
}

function withoutPrefix<T>(report: T, dir: string): T {
  const prefix = JSON.stringify(dir + '/').slice(1, -1);
  return JSON.parse(JSON.stringify(report).split(prefix).join('')) as T;
}

function removeStale(root: string): void {
  const now = Date.now();
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    const path = join(root, entry.name);
    try {
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${+(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${+(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw new TooLargeError(`The request body is over ${MAX_JSON_BODY} bytes.`, { limitBytes: MAX_JSON_BODY, limit: 'body' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`Bad request body: ${(err as Error).message}`);
  }
}

/** Reads and drops what is left of a refused request's body, so the connection can answer. */
function drain(req: IncomingMessage): void {
  if (!req.readableEnded) req.resume();
}

function sendResult(res: ServerResponse, result: unknown): void {
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ result }));
}

function sendError(res: ServerResponse, error: ApiErrorPayload, status = httpStatusFor(error.kind)): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify({ error }));
}
