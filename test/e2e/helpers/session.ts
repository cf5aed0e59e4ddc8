// One browser-mode session around a test body: started before it, closed after it, also when the body throws
// (as try/finally: an error from closing — e.g. the page's own errors — wins over the body's).
import type { Page } from 'playwright-core';
import { startE2e, type E2eSession } from '../harness.ts';

export async function withE2e<T>(body: (page: Page, session: E2eSession) => Promise<T>, options: Parameters<typeof startE2e>[0] = {}): Promise<T> {
  const session = await startE2e(options);
  try {
    return await body(session.page, session);
  } finally {
    await session.close();
  }
}
