// Path confinement for the API's file-system arguments. The WorkbenchApi takes paths from its client
// (projects.create/open, images.import, coco.import/export); a client is a renderer page, and a page can be
// subverted (a leaked browser-mode token, an XSS). So paths are only accepted inside approved folders:
// - in the browser mode, the folders given at launch (`npm run web -- --allow DIR`, repeatable) plus
//   ~/Fieldwork (the default home for projects) and the app's own data folder;
// - in the desktop app, what the user picked in a native dialog that main showed (each picked path becomes
//   approved: a capability the renderer cannot forge) plus the app's data folder;
// - in both, projects in the recent list (the user opened them once) may be reopened.
// Symlinks are resolved before the comparison, so a link inside an approved folder cannot point out of it.
// Exports write new files only: an existing target must be an earlier Fieldwork export (or nothing).
import { closeSync, existsSync, lstatSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { CocoExportOptions, WorkbenchApi } from '../api.ts';
import { UserError } from './errors.ts';
import { fromHome } from './user-paths.ts';

/** The real path of `path`, resolving symlinks of the part that exists (a new file's folder, say). */
export function realPathOf(path: string): string {
  let abs = resolve(path);
  const tail: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(abs), ...tail.reverse());
    } catch {
      const parent = dirname(abs);
      if (parent === abs) return join(abs, ...tail.reverse());
      tail.push(basename(abs));
      abs = parent;
    }
  }
}

function inside(root: string, path: string): boolean {
  const back = relative(root, path);
  return back === '' || (!back.startsWith('..') && !isAbsolute(back));
}

/** The default project home in the browser mode: ~/Fieldwork. */
export function defaultProjectHome(): string {
  return join(homedir(), 'Fieldwork');
}

export class PathGuard {
  readonly #roots = new Set<string>();
  readonly #describe: string;

  /** `describe` tells the user how to approve another folder (shown in the refusal). */
  constructor(roots: string[], describe: string) {
    for (const root of roots) this.approve(root);
    this.#describe = describe;
  }

  /** Approves a folder (or one file) and everything under it. */
  approve(path: string): void {
    this.#roots.add(realPathOf(path));
  }

  roots(): string[] {
    return [...this.#roots];
  }

  allows(path: string): boolean {
    const real = realPathOf(path);
    for (const root of this.#roots) if (inside(root, real)) return true;
    return false;
  }

  /** The path, resolved, when it is inside an approved folder; a UserError naming it otherwise. */
  check(path: unknown, what: string): string {
    if (typeof path !== 'string' || path.length === 0) throw new UserError(`${what}: a path is needed.`);
    if (path.includes('\0')) throw new UserError(`${what}: the path holds a NUL character.`);
    if (!this.allows(path)) throw new UserError(`${what}: ${path} is outside the folders Fieldwork may use. ${this.#describe}`);
    return resolve(path);
  }
}

/**
 * A project path as the user typed it: `~/x` is in their home folder, a bare relative name is a folder in the
 * default project home (~/Fieldwork, approved), never the server's working directory.
 */
function typedProjectPath(path: unknown): unknown {
  if (typeof path !== 'string' || path.trim() === '') return path;
  const p = path.trim();
  if (p === '~' || p.startsWith('~/')) return fromHome(p);
  return isAbsolute(p) ? resolve(p) : resolve(defaultProjectHome(), p);
}

/** What coco_export.ts writes first: `{"info":{"description":"Exported from Fieldwork"}, …`. */
const EXPORT_MARK = /^\s*\{\s*"info"\s*:\s*\{\s*"description"\s*:\s*"Exported from Fieldwork"/;

/** Refuses an export target that would overwrite something other than an earlier Fieldwork export. */
export function checkExportTarget(out: string, options: CocoExportOptions | undefined): void {
  if (!out.toLowerCase().endsWith('.json')) throw new UserError(`Export: the file name must end in .json (got ${out}).`);
  if (existsSync(out) || isLink(out)) {
    const st = lstatSync(out);
    if (!st.isFile()) throw new UserError(`Export: ${out} exists and is not a regular file; choose a new file name.`);
    if (!startsWith(out, EXPORT_MARK)) throw new UserError(`Export: ${out} exists and is not a Fieldwork export; it is left as it is. Choose a new file name.`);
  }
  const dir = options?.imagesDir;
  if (dir !== undefined && (existsSync(dir) || isLink(dir))) {
    const st = lstatSync(dir);
    if (!st.isDirectory() || readdirSync(dir).length > 0) throw new UserError(`Export: the images folder ${dir} exists and is not empty; choose a new folder.`);
  }
}

/** A dataset export (YOLO, VOC, LabelMe, masks, COCO folder) writes into a folder of its own: a new or empty one. */
export function checkExportFolder(out: string, what: string): void {
  if (existsSync(out) || isLink(out)) {
    const st = lstatSync(out);
    if (!st.isDirectory() || readdirSync(out).length > 0) throw new UserError(`${what}: ${out} exists and is not an empty folder; its files are left as they are. Choose a new folder.`);
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function startsWith(file: string, mark: RegExp): boolean {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(256);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return mark.test(buf.subarray(0, n).toString('utf8'));
  } finally {
    closeSync(fd);
  }
}

/**
 * The api with its path-taking methods confined to `guard`. Everything else passes through unchanged.
 * Projects on the recent list may be reopened without approval.
 */
export function confineApi(api: WorkbenchApi, guard: PathGuard): WorkbenchApi {
  const projects: WorkbenchApi['projects'] = {
    ...api.projects,
    create: async (dir, name) => api.projects.create(guard.check(typedProjectPath(dir), 'New project'), name),
    open: async (typed) => {
      const dir = typedProjectPath(typed);
      const recent = await api.projects.recent();
      const known = typeof dir === 'string' && recent.some((r) => resolve(r) === resolve(dir));
      return api.projects.open(known ? resolve(dir) : guard.check(dir, 'Open project'));
    },
  };
  const images: WorkbenchApi['images'] = {
    ...api.images,
    import: async (paths) => {
      if (!Array.isArray(paths)) throw new UserError('Import images: a list of paths is needed.');
      return api.images.import(paths.map((p) => guard.check(p, 'Import images')));
    },
  };
  const coco: WorkbenchApi['coco'] = {
    ...api.coco,
    import: async (path, options) => api.coco.import(guard.check(path, 'Import COCO'), options),
    detect: async (path) => api.coco.detect(guard.check(path, 'Detect dataset')),
    importDataset: async (path, options) => api.coco.importDataset(guard.check(path, 'Import dataset'), options),
    exportDataset: async (outDir, options) => {
      const target = guard.check(outDir, 'Export dataset');
      checkExportFolder(target, 'Export dataset');
      return api.coco.exportDataset(target, options);
    },
    export: async (out, options) => {
      const target = guard.check(out, 'Export COCO');
      const imagesDir = options?.imagesDir === undefined ? undefined : guard.check(options.imagesDir, 'Export COCO images');
      checkExportTarget(target, imagesDir === undefined ? options : { ...options, imagesDir });
      return api.coco.export(target, imagesDir === undefined ? options : { ...options, imagesDir });
    },
  };
  // export-run creates a new folder (it refuses a non-empty one itself); import-run reads an export folder.
  const interop: WorkbenchApi['interop'] = {
    ...api.interop,
    exportRun: async (request) => api.interop.exportRun({ ...request, outDir: guard.check(request?.outDir, 'Export run') }),
    importRun: async (source) => api.interop.importRun(guard.check(source, 'Import run')),
  };
  return { ...api, projects, images, coco, interop };
}
