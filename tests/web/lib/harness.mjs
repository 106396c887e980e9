// A small sequential test harness: named steps that share one browser page, each ending with a
// screenshot; a failing step is reported (with a screenshot) and the run goes on. Watches the
// page for JavaScript dialogs (an XSS would fire one), page errors and console errors.

import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';

// Console errors that are expected: the browser logs every 4xx answer the UI provokes on purpose
// (a wrong token, a duplicate import, a wrong passphrase).
const EXPECTED_CONSOLE = /^Failed to load resource: the server responded with a status of 4\d\d/;

export class Harness {
  constructor({ outDir }) {
    this.outDir = outDir;
    this.results = [];
    this.dialogs = [];
    this.consoleErrors = [];
    this.pageErrors = [];
    this.shot = 0;
  }

  /** Creates the screenshot directory and removes the screenshots of an earlier run. */
  async init() {
    await mkdir(this.outDir, { recursive: true });
    for (const name of await readdir(this.outDir)) {
      if (name.endsWith('.png')) await rm(path.join(this.outDir, name), { force: true });
    }
  }

  /** Starts watching a page for dialogs, page errors and console errors. */
  watch(page) {
    page.on('dialog', async (dialog) => {
      this.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      await dialog.dismiss().catch(() => {});
    });
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() !== 'error') return;
      const text = message.text();
      if (EXPECTED_CONSOLE.test(text)) return;
      this.consoleErrors.push(text);
    });
  }

  /** A screenshot within the current step: "NN-name.png" beside the step's own. */
  async snap(page, name) {
    return this.screenshot(page, `${String(this.shot).padStart(2, '0')}-${name}`);
  }

  async screenshot(page, name) {
    const file = path.join(this.outDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    return file;
  }

  /** Runs one step: fn(); then a screenshot named "NN-name.png" (also on failure). */
  async step(name, page, fn) {
    this.shot += 1;
    const label = `${String(this.shot).padStart(2, '0')}-${name}`;
    const started = Date.now();
    try {
      await fn();
      await this.screenshot(page, label);
      this.results.push({ name: label, ok: true, ms: Date.now() - started });
      console.log(`ok   ${label} (${Date.now() - started} ms)`);
    } catch (error) {
      let shot = '';
      try {
        shot = await this.screenshot(page, `${label}-FAILED`);
      } catch {
        // the page may be gone
      }
      this.results.push({ name: label, ok: false, ms: Date.now() - started, error });
      console.log(`FAIL ${label} (${Date.now() - started} ms): ${error.stack || error}${shot ? `\n     screenshot: ${shot}` : ''}`);
    }
  }

  /** A check outside the page flows (no screenshot). */
  async check(name, fn) {
    const started = Date.now();
    try {
      await fn();
      this.results.push({ name, ok: true, ms: Date.now() - started });
      console.log(`ok   ${name} (${Date.now() - started} ms)`);
    } catch (error) {
      this.results.push({ name, ok: false, ms: Date.now() - started, error });
      console.log(`FAIL ${name}: ${error.stack || error}`);
    }
  }

  get failed() {
    return this.results.filter((r) => !r.ok);
  }
}
