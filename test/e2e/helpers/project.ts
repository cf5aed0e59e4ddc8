// The first steps most end-to-end tests take as a user: create a project on the start screen, import a
// dataset through the import panel, wait for the grid.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { tempDir } from '../../helpers/tmp.ts';

/** Creates a project in a new temp folder `<tmp>/<folder>` (with a display name if given); returns its path. */
export async function createProject(page: Page, folder: string, name?: string): Promise<string> {
  const dir = join(tempDir(), folder);
  await page.getByTestId('project-dir').fill(dir);
  if (name !== undefined) await page.getByTestId('project-name').fill(name);
  await page.getByTestId('create-project').click();
  return dir;
}

/** Types a dataset path (a folder or a COCO file) into the import panel and starts the import. */
export async function importDataset(page: Page, path: string): Promise<void> {
  await page.getByTestId('import-coco-path').fill(path);
  await page.getByTestId('import-coco-submit').click();
}

/** Waits until the grid shows exactly `count` thumbnails. */
export async function waitForThumbs(page: Page, count: number, timeout = 60_000): Promise<void> {
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="thumb"]').length === n, count, { timeout });
}
