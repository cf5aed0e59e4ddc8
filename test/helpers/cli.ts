// The `fieldwork` command in-process (its main() with captured output), and what a refused run may not
// leave behind: rows in the runs table, folders under runs/.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../electron/cli/fieldwork.ts';
import { Project } from '../../electron/services/project.ts';

export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** The project's run rows and run folders (dot-files such as runs/.estimate-speeds.jsonl excluded). */
export function runCount(projectDir: string): { rows: number; folders: number } {
  const p = Project.open(projectDir);
  try {
    const rows = (p.db.prepare('SELECT COUNT(*) AS n FROM runs').get() as { n: number }).n;
    const dir = join(projectDir, 'runs');
    return { rows, folders: existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).length : 0 };
  } finally {
    p.close();
  }
}
