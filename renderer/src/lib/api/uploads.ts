// Browser-mode uploads (electron/web/uploads.ts): files from the picker or a drop go to the server one request
// each (the browser streams a File body from disk), then the server imports the batch as it would a folder.
// The desktop app has no uploads: it reads the user's files where they are.
import type { CocoImportReport, DatasetImportOptions, ImageImportReport, ImportProblem } from '../../../../electron/api.ts';
import { AUTH_HEADER } from '../../../../trainer/common/web_auth.ts';
import { ApiError, errorPayload } from './errors.ts';
import { currentSession } from './http.ts';

/** One file to upload and the relative path it keeps (`export/train/a.jpg` for a dropped folder). */
export interface UploadItem {
  file: File;
  path: string;
}

export type UploadAs = 'images' | 'dataset' | 'auto';

export type UploadResult =
  | { as: 'images'; files: number; bytes: number; report: ImageImportReport; refused: ImportProblem[] }
  | { as: 'dataset'; files: number; bytes: number; report: CocoImportReport & { found?: string }; refused: ImportProblem[] };

export interface UploadProgress {
  /** Files sent (or refused) so far, of `total`. */
  done: number;
  total: number;
  bytesDone: number;
  bytesTotal: number;
  current: string;
}

/** True in the browser mode, where files reach the server only by upload. */
export function uploadsAvailable(): boolean {
  return typeof window !== 'undefined' && !window.fieldwork;
}

async function post(path: string, body: BodyInit, contentType: string): Promise<unknown> {
  const session = currentSession();
  if (!session) throw new ApiError({ kind: 'user', message: 'This tab has no access key. Open the URL that `npm run web` printed (with its #token=… part).', details: null });
  let response: Response;
  try {
    response = await fetch(`${location.origin}/x/uploads/${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType, [AUTH_HEADER]: session.token },
      credentials: 'omit',
      body,
    });
  } catch (err) {
    throw new ApiError({ kind: 'internal', message: `The upload did not reach the Fieldwork server (${String(err)})`, details: null });
  }
  const reply = (await response.json().catch(() => null)) as { result?: unknown; error?: unknown } | null;
  if (!response.ok || !reply || 'error' in reply) throw new ApiError(errorPayload(reply?.error, `Upload failed: HTTP ${response.status}`));
  return reply.result;
}

/**
 * Uploads the files one by one and imports them as one batch. A file the server refuses (a bad name, over the
 * per-file limit) is listed in `refused` and the rest go on, as a folder import reports a bad file; over the
 * batch limit the upload stops and nothing is imported.
 */
export async function uploadAndImport(items: UploadItem[], as: UploadAs, options: DatasetImportOptions, onProgress: (p: UploadProgress) => void, onImporting: () => void): Promise<UploadResult> {
  if (items.length === 0) throw new ApiError({ kind: 'user', message: 'Choose or drop at least one file.', details: null });
  const bytesTotal = items.reduce((n, i) => n + i.file.size, 0);
  const { batch, maxFileBytes } = (await post('begin', JSON.stringify({ files: items.length, bytes: bytesTotal }), 'application/json')) as { batch: string; maxFileBytes: number };
  const refused: ImportProblem[] = [];
  let bytesDone = 0;
  try {
    for (const [index, item] of items.entries()) {
      onProgress({ done: index, total: items.length, bytesDone, bytesTotal, current: item.path });
      if (item.file.size > maxFileBytes) {
        refused.push({ path: item.path, reason: `over the upload limit of ${maxFileBytes} bytes per file` });
      } else {
        try {
          await post(`${batch}/file?path=${encodeURIComponent(item.path)}`, item.file, 'application/octet-stream');
        } catch (err) {
          if (err instanceof ApiError && err.details?.limit === 'batch') throw err;
          refused.push({ path: item.path, reason: (err as Error).message });
        }
      }
      bytesDone += item.file.size;
    }
    onProgress({ done: items.length, total: items.length, bytesDone, bytesTotal, current: '' });
  } catch (err) {
    await post(`${batch}/cancel`, '', 'application/json').catch(() => undefined);
    throw err;
  }
  if (refused.length === items.length) {
    await post(`${batch}/cancel`, '', 'application/json').catch(() => undefined);
    throw new ApiError({ kind: 'user', message: `No file could be uploaded: ${refused.map((r) => `${r.path}: ${r.reason}`).slice(0, 3).join('; ')}`, details: { refused } });
  }
  onImporting();
  const result = (await post(`${batch}/import`, JSON.stringify({ as, options }), 'application/json')) as Omit<UploadResult, 'refused'>;
  return { ...result, refused } as UploadResult;
}

/** The files of a drop, folders walked recursively, each with its path relative to what was dropped. */
export async function droppedItems(transfer: DataTransfer): Promise<UploadItem[]> {
  const entries: FileSystemEntry[] = [];
  const loose: UploadItem[] = [];
  // Entries must be taken synchronously, while the drop event is being handled.
  for (const item of Array.from(transfer.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const file = item.getAsFile();
      if (file) loose.push({ file, path: file.webkitRelativePath || file.name });
    }
  }
  if (entries.length === 0 && loose.length === 0) for (const file of Array.from(transfer.files)) loose.push({ file, path: file.name });
  const walked = (await Promise.all(entries.map((e) => walk(e)))).flat();
  return [...loose, ...walked];
}

async function walk(entry: FileSystemEntry): Promise<UploadItem[]> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    return [{ file, path: path || file.name }];
  }
  if (!entry.isDirectory) return [];
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  const children: FileSystemEntry[] = [];
  // readEntries answers in pages (100 at a time in Chromium) until an empty one.
  for (;;) {
    const page = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (page.length === 0) break;
    children.push(...page);
  }
  return (await Promise.all(children.map((c) => walk(c)))).flat();
}

/** The files an `<input type=file>` holds; a folder picker (webkitdirectory) gives each its relative path. */
export function pickedItems(files: FileList | null): UploadItem[] {
  return Array.from(files ?? []).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}
