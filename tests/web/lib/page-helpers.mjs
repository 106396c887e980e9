// Helpers for driving the admin UI with playwright-core (which has no expect()).

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

/** Polls fn until it returns a truthy value; throws message (or the last error) on timeout. */
export async function waitUntil(fn, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) {
      throw new Error(`Timed out waiting for ${message}${last ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

/** Waits until the locator's text matches pattern; returns the text. */
export async function waitForText(locator, pattern, options = {}) {
  let text = '';
  await waitUntil(async () => {
    text = (await locator.first().textContent({ timeout: 1_000 })) || '';
    return pattern.test(text);
  }, { message: `text ${pattern} (last: ${JSON.stringify(text.slice(0, 300))})`, ...options });
  return text;
}

/** Opens a route of the admin UI (#/name) and waits for its page container. */
export async function openRoute(page, baseUrl, route) {
  await page.goto(`${baseUrl}/admin/#/${route}`);
  await page.locator(`.page-content[data-page="${route.split('?')[0]}"]`).waitFor();
}

/** Clicks a navigation link and waits for its page. */
export async function navigate(page, route) {
  await page.click(`nav a[data-route="${route}"]`);
  await page.locator(`.page-content[data-page="${route}"]`).waitFor();
}

export async function signIn(page, baseUrl, token) {
  await page.goto(`${baseUrl}/admin/`);
  await page.locator('#signin-token').waitFor();
  await page.fill('#signin-token', token);
  await page.click('#signin-submit');
  await page.locator('#app-view').waitFor();
}

/** The row of a certificate in the certificates table. */
export function certificateRow(page, fingerprint) {
  return page.locator(`#certificates tr.certificate-row[data-fingerprint="${fingerprint}"]`);
}

/** Opens the actions menu of a certificate row and clicks the item whose text matches. */
export async function certificateAction(page, fingerprint, itemText) {
  const row = certificateRow(page, fingerprint);
  await row.locator('details.menu > summary').click();
  await row.locator('.menu-item', { hasText: itemText }).click();
}

/** Triggers a download with action and returns its bytes and suggested name. */
export async function captureDownload(page, action) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), action()]);
  const file = await download.path();
  assert.ok(file, `download failed: ${await download.failure()}`);
  return { bytes: await readFile(file), name: download.suggestedFilename(), file };
}
