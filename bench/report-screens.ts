// What the app's report screen shows for every run of a project: opens the project in the browser mode
// (headless Chromium, as the end-to-end tests do), opens each run's report, prints the verdict words, the
// AP line with its interval, the evidence and the advice as JSON lines, and saves a full-page screenshot.
//   npm run build:renderer && npx tsx bench/report-screens.ts <project-dir> <out-dir>
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startE2e } from '../test/e2e/harness.ts';

const [project, outDir] = process.argv.slice(2);
if (!project || !outDir) {
  process.stderr.write('usage: tsx bench/report-screens.ts <project-dir> <out-dir>\n');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });
const s = await startE2e({ viewport: { width: 1400, height: 1000 } });
try {
  await s.workbench.api.projects.open(project);
  await s.page.reload();
  await s.page.getByTestId('thumb').first().waitFor({ timeout: 60_000 });
  for (const run of await s.workbench.api.runs.list()) {
    await s.page.goto(new URL(`#/runs/${run.id}`, s.page.url()).href);
    await s.page.getByTestId('verdict').waitFor({ timeout: 60_000 });
    const text = async (id: string) => ((await s.page.getByTestId(id).count()) ? (await s.page.getByTestId(id).first().textContent())?.trim() ?? null : null);
    const items = (id: string) => s.page.locator(`[data-testid="${id}"] li`).allTextContents();
    const shown = {
      run: run.id, preset: run.preset, status: run.status, iterations: run.iteration,
      verdict: await s.page.getByTestId('verdict').getAttribute('data-verdict'),
      words: await text('verdict-words'), ap: await text('verdict-ap'), bestBoxMaskAp: await text('best-ap'),
      evidence: await items('evidence'), advice: await items('advice'),
      screenshot: join(outDir, `${run.id}.png`),
    };
    await s.page.screenshot({ path: shown.screenshot, fullPage: true });
    process.stdout.write(JSON.stringify(shown) + '\n');
  }
} finally {
  await s.close();
}
