// The studio's tests drive Debian's Chromium (installed by scripts/install-test-deps.sh) headless
// through playwright-core. Every page a test looks at can be saved as a screenshot under
// test-artifacts/studio/ for a person to look at.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHOTS = join(ROOT, 'test-artifacts', 'studio');
const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** Chromium with a fresh context (its own cookies), as a person at a 1,280 px screen or a phone. */
export async function openBrowser(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('no Chromium: run scripts/install-test-deps.sh (installs Debian\'s chromium)');
  if (!existsSync(join(ROOT, 'dist', 'studio', 'index.html'))) throw new Error('the studio is not built: run npm run build (npm ci does)');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

export async function newPage(browser: Browser, o: { phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(o.phone ? { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true } : { viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  // A page that throws is a failed page, even if it still shows something.
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  (page as Page & { errors: string[] }).errors = errors;
  return { context, page };
}

export const pageErrors = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];

/** Saves what the page shows now, full height, as test-artifacts/studio/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
