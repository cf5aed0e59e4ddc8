// A project is a folder: project.sqlite, images/ (content-addressed originals), thumbs/, runs/.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { ProjectInfo } from '../api.ts';
import { openDatabase, SCHEMA_VERSION, type Db } from './db.ts';
import { NotFoundError, UserError } from './errors.ts';

export const DB_FILE = 'project.sqlite';

export class Project {
  readonly dir: string;
  readonly db: Db;

  private constructor(dir: string, db: Db) {
    this.dir = dir;
    this.db = db;
  }

  static create(dir: string, name?: string): Project {
    const abs = resolve(dir);
    if (existsSync(join(abs, DB_FILE))) throw new UserError(`A project already exists in ${abs}; open it instead.`);
    if (existsSync(abs) && !statSync(abs).isDirectory()) throw new UserError(`${abs} is a file, not a folder.`);
    if (existsSync(abs) && readdirSync(abs).length > 0) {
      throw new UserError(`${abs} is not empty; choose an empty or new folder for the project.`);
    }
    mkdirSync(abs, { recursive: true });
    const project = Project.openAt(abs);
    const projectName = (name ?? '').trim() || abs.split(/[\\/]/).filter(Boolean).pop() || 'Untitled';
    project.db.transaction(() => {
      const put = project.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
      put.run('name', projectName);
      put.run('created_at', new Date().toISOString());
      put.run('split_frozen', '0');
    })();
    return project;
  }

  static open(dir: string): Project {
    const abs = resolve(dir);
    if (!existsSync(join(abs, DB_FILE))) throw new NotFoundError(`No Fieldwork project in ${abs} (no ${DB_FILE}).`);
    return Project.openAt(abs);
  }

  private static openAt(abs: string): Project {
    for (const sub of ['images', 'thumbs', 'runs']) mkdirSync(join(abs, sub), { recursive: true });
    return new Project(abs, openDatabase(join(abs, DB_FILE)));
  }

  info(): ProjectInfo {
    return {
      dir: this.dir,
      name: this.meta('name') ?? 'Untitled',
      createdAt: this.meta('created_at') ?? '',
      schemaVersion: SCHEMA_VERSION,
    };
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(key, value);
  }

  /** Absolute path of a project-relative path, refusing anything that escapes the project folder. */
  resolveInside(rel: string): string {
    const abs = resolve(this.dir, rel);
    const back = relative(this.dir, abs);
    if (back.startsWith('..') || isAbsolute(back)) throw new UserError(`Path ${rel} is outside the project.`);
    return abs;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
