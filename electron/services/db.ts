// The project database: better-sqlite3 in WAL mode with foreign keys and versioned migrations.
// Every write the services make goes through `db.transaction(...)`, so a crash loses no committed edit
// and never leaves half an edit behind.
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Each entry moves the schema from version i to i + 1. Never edit a released entry; append a new one. */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE images (
    id INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    file_name TEXT NOT NULL,
    stored_path TEXT NOT NULL,
    thumb_path TEXT NOT NULL,
    width INTEGER NOT NULL CHECK (width > 0),
    height INTEGER NOT NULL CHECK (height > 0),
    split TEXT NOT NULL DEFAULT 'train' CHECK (split IN ('train', 'val', 'test')),
    status TEXT NOT NULL DEFAULT 'unlabelled' CHECK (status IN ('unlabelled', 'in_progress', 'done', 'skipped')),
    source_path TEXT,
    imported_at TEXT NOT NULL
  );
  CREATE INDEX images_hash ON images (hash);
  CREATE TABLE classes (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    color TEXT NOT NULL,
    ord INTEGER NOT NULL
  );
  CREATE TABLE annotations (
    id INTEGER PRIMARY KEY,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES classes (id),
    kind TEXT NOT NULL CHECK (kind IN ('box', 'polygon', 'mask')),
    geometry TEXT NOT NULL,
    bbox TEXT NOT NULL,
    area REAL NOT NULL,
    iscrowd INTEGER NOT NULL DEFAULT 0,
    source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'import', 'prediction')),
    score REAL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX annotations_image ON annotations (image_id);
  CREATE INDEX annotations_class ON annotations (class_id);
  `,
  // Training runs. The run folder (runs/<id>/) holds the snapshot, config, metrics and checkpoints and is
  // the source of truth; this table is the summary the runs list shows.
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    preset TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'cancelled', 'interrupted', 'failed', 'done')),
    backend TEXT,
    train_images INTEGER NOT NULL,
    val_images INTEGER NOT NULL,
    annotations INTEGER NOT NULL,
    snapshot_hash TEXT NOT NULL,
    iteration INTEGER NOT NULL DEFAULT 0,
    total_iterations INTEGER,
    best_box_ap REAL,
    best_mask_ap REAL,
    verdict TEXT,
    error TEXT,
    finished_at TEXT,
    train_fraction REAL NOT NULL DEFAULT 1
  );
  `,
  // A run's predictions under review; accepting one creates an annotation (kept linked for undo).
  `
  CREATE TABLE predictions (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    image_id INTEGER NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    class_id INTEGER REFERENCES classes (id) ON DELETE SET NULL,
    class_name TEXT NOT NULL,
    score REAL NOT NULL,
    bbox TEXT NOT NULL,
    rle TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
    annotation_id INTEGER REFERENCES annotations (id) ON DELETE SET NULL,
    decided_at TEXT
  );
  CREATE INDEX predictions_run_image ON predictions (run_id, image_id);
  `,
  // Where each image's split came from (an import's folder, an assignment, a hand edit, or the default), and
  // a cached perceptual hash of its thumbnail for near-duplicate grouping (electron/services/split_groups.ts).
  `
  ALTER TABLE images ADD COLUMN split_origin TEXT NOT NULL DEFAULT 'default' CHECK (split_origin IN ('default', 'import', 'assigned', 'manual'));
  ALTER TABLE images ADD COLUMN dhash TEXT;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `This project was written by a newer Fieldwork (schema ${current}, this version knows ${MIGRATIONS.length}).`,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version]);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}
