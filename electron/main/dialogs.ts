// Native open dialogs, offered to the window as `pickPaths({ kind })`: image files, a folder (project or
// image folder), or a COCO JSON file. Returns absolute paths, [] when the user cancels.
import type { BrowserWindow, Dialog, OpenDialogOptions } from 'electron';
import { UserError } from '../services/errors.ts';

export type PickKind = 'files' | 'folder' | 'json';

export const IMAGE_EXTENSIONS = ['jpg', 'jpeg', 'png', 'webp', 'tif', 'tiff', 'gif', 'avif'];

/** Validated options, from whatever the renderer sent. */
export function parsePickOptions(raw: unknown): { kind: PickKind; title?: string } {
  const value = (typeof raw === 'object' && raw !== null ? raw : {}) as { kind?: unknown; title?: unknown };
  if (value.kind !== 'files' && value.kind !== 'folder' && value.kind !== 'json') {
    throw new UserError(`pickPaths needs kind 'files', 'folder' or 'json' (got ${JSON.stringify(value.kind)}).`);
  }
  const title = typeof value.title === 'string' && value.title.length <= 200 ? value.title : undefined;
  return { kind: value.kind, ...(title ? { title } : {}) };
}

export function openDialogOptions(kind: PickKind, title?: string): OpenDialogOptions {
  switch (kind) {
    case 'files':
      return {
        title: title ?? 'Import images',
        properties: ['openFile', 'multiSelections'],
        filters: [{ name: 'Images', extensions: IMAGE_EXTENSIONS }],
      };
    case 'folder':
      return { title: title ?? 'Choose a folder', properties: ['openDirectory', 'createDirectory'] };
    case 'json':
      return { title: title ?? 'Choose a COCO JSON file', properties: ['openFile'], filters: [{ name: 'COCO JSON', extensions: ['json'] }] };
  }
}

export async function pickPaths(dialog: Pick<Dialog, 'showOpenDialog'>, parent: BrowserWindow | null, raw: unknown): Promise<string[]> {
  const { kind, title } = parsePickOptions(raw);
  const options = openDialogOptions(kind, title);
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? [] : result.filePaths;
}
