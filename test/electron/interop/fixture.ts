// Set-up shared by the interop tests: the `fieldwork` CLI run in this process, and a project holding the
// committed Roboflow fixture.
import { join } from 'node:path';
import { main } from '../../../electron/cli/fieldwork.ts';
import { importCoco } from '../../../electron/services/coco_import.ts';
import { Project } from '../../../electron/services/project.ts';
import { FIXTURES, tempDir } from '../../helpers/tmp.ts';

/** Runs `fieldwork <argv…>` in this process; its exit code and what it logged and reported as errors. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A new project folder (in a temp folder) with test/fixtures/roboflow-mini imported; the project is closed. */
export async function fixtureProject(): Promise<string> {
  const dir = join(tempDir(), 'proj');
  const project = Project.create(dir);
  await importCoco(project, join(FIXTURES, 'roboflow-mini'));
  project.close();
  return dir;
}
