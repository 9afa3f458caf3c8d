import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiOperations } from './support/operations.ts';
import { startTestApp, type TestApp } from './support/test-app.ts';

// GET /docs as a person sees it: headless Chromium (Debian's, which .ci/run installs when it is
// missing; CHROMIUM_PATH points elsewhere) opens the page, every endpoint is listed, one expands,
// and a screenshot is saved. These machines have no outside network, so the browser is started
// with its background networking off, and the page must need nothing from outside.

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const screenshotDir = fileURLToPath(new URL('../../../test-results/', import.meta.url));
let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(executablePath)) throw new Error(`No Chromium at ${executablePath}: apt-get install chromium (or set CHROMIUM_PATH).`);
  t = await startTestApp();
  // Playwright gives each launch a fresh, empty profile of its own (the user-data dir).
  browser = await chromium.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('GET /docs in a browser', () => {
  it('lists every endpoint, expands one to its parameters and responses, and makes no outside request', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    const outside: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(t.url) && !request.url().startsWith('data:')) outside.push(request.url());
    });
    await page.goto(`${t.url}/docs`);
    await page.locator('.opblock').first().waitFor({ timeout: 20_000 });

    const listed = await page.locator('.opblock-summary').evaluateAll((elements) =>
      elements.map((element) => {
        const method = element.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '';
        const path = element.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? element.querySelector('.opblock-summary-path')?.textContent?.trim() ?? '';
        return `${method} ${path.replace(/\u200b/g, '')}`;
      }),
    );
    expect(listed.sort()).toEqual([...apiOperations].sort());

    const createHold = page.locator('.opblock-post', { has: page.locator('[data-path="/api/holds"]') });
    await createHold.locator('.opblock-summary').click();
    const body = createHold.locator('.opblock-body');
    await body.waitFor({ timeout: 10_000 });
    await expect.poll(() => body.innerText(), { timeout: 10_000 }).toContain('idempotency-key');
    const text = await body.innerText();
    for (const status of ['201', '400', '404', '409', '422', '503']) expect(text).toContain(status);
    expect(text).toContain('insufficient_stock');

    mkdirSync(screenshotDir, { recursive: true });
    const screenshot = join(screenshotDir, 'docs.png');
    await page.screenshot({ path: screenshot, fullPage: false });
    expect(statSync(screenshot).size).toBeGreaterThan(10_000);
    expect(outside).toEqual([]);
  }, 60_000);
});
