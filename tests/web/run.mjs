#!/usr/bin/env node
// End-to-end tests of the admin web UI: Debian's headless Chromium (driven by playwright-core,
// never a downloaded browser) against a real smimed on loopback with a SoftHSM token.
//
//   node tests/web/run.mjs --smimed PATH --smimectl PATH --out SCREENSHOT_DIR
//                          [--web-root DIR] [--chromium PATH] [--keep]
//
// Exit code 0 when every step passed, 1 when one failed, 2 on usage errors.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { Appliance } from './lib/appliance.mjs';
import { Harness } from './lib/harness.mjs';
import { TestPki } from './lib/pki.mjs';
import * as certificates from './flows/certificates.mjs';
import * as groups from './flows/groups.mjs';
import * as keys from './flows/keys.mjs';
import * as logs from './flows/logs.mjs';
import * as security from './flows/security.mjs';
import * as session from './flows/session.mjs';
import * as signatures from './flows/signatures.mjs';
import * as token from './flows/token.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

function usage(message) {
  console.error(`run.mjs: ${message}\nusage: node tests/web/run.mjs --smimed PATH --smimectl PATH --out DIR [--web-root DIR] [--chromium PATH] [--keep]`);
  process.exit(2);
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        smimed: { type: 'string' },
        smimectl: { type: 'string' },
        out: { type: 'string' },
        'web-root': { type: 'string' },
        chromium: { type: 'string' },
        keep: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    usage(error.message);
  }
  for (const required of ['smimed', 'smimectl', 'out']) if (!parsed[required]) usage(`--${required} is required`);
  const resolved = {
    smimed: path.resolve(parsed.smimed),
    smimectl: path.resolve(parsed.smimectl),
    out: path.resolve(parsed.out),
    webRoot: path.resolve(parsed['web-root'] || path.join(here, '..', '..', 'web')),
    chromium: parsed.chromium || '/usr/bin/chromium',
    keep: parsed.keep,
  };
  for (const file of [resolved.smimed, resolved.smimectl, resolved.chromium]) {
    if (!existsSync(file)) usage(`${file} does not exist`);
  }
  if (!existsSync(path.join(resolved.webRoot, 'index.html'))) usage(`${resolved.webRoot} has no index.html`);
  return resolved;
}

async function main() {
  const opts = options();
  const started = Date.now();
  const harness = new Harness({ outDir: opts.out });
  await harness.init();
  const app = new Appliance({ smimed: opts.smimed, smimectl: opts.smimectl, webRoot: opts.webRoot });
  let browser;
  const stopping = async (signal) => {
    console.error(`run.mjs: ${signal}, cleaning up`);
    await browser?.close().catch(() => {});
    await app.tearDown({ keep: opts.keep }).catch(() => {});
    process.exit(1);
  };
  process.once('SIGINT', () => stopping('SIGINT'));
  process.once('SIGTERM', () => stopping('SIGTERM'));

  try {
    await app.setUp();
    console.log(`smimed at ${app.baseUrl}, home ${app.home}`);
    const workDir = path.join(app.home, 'web-test');
    await mkdir(workDir, { recursive: true });
    const pki = new TestPki(path.join(app.home, 'pki'));
    await mkdir(pki.dir, { recursive: true });
    await pki.create();

    browser = await chromium.launch({ executablePath: opts.chromium, headless: true, args: ['--no-sandbox'] });
    const context = await browser.newContext({
      ignoreHTTPSErrors: true, acceptDownloads: true, viewport: { width: 1440, height: 900 },
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    harness.watch(page);

    const snap = (name) => harness.snap(page, name);
    const ctx = { page, app, pki, workDir, webRoot: opts.webRoot, snap, state: {} };
    const step = (name, fn) => harness.step(name, page, () => fn(ctx));

    await harness.check('admin responses carry the CSP and nosniff', () => security.adminHeaders(ctx));
    await harness.check('static files cannot leave web/', () => security.staticFilesStayInWebRoot(ctx));
    await harness.check('web/ sources follow the CSP', () => security.sourcesFollowTheCsp(ctx));
    await harness.check('failed incoming operations caused through the API', () => logs.causeFailedIncoming(ctx));

    await step('signin-refused', session.wrongTokenRefused);
    await step('signin', session.signInWithAdminToken);
    await step('import-bundle', certificates.importBundle);
    await step('import-duplicate', certificates.importDuplicatesByPaste);
    await step('import-der-pkcs7', certificates.importDerAndPkcs7);
    await step('certificates', certificates.certificateTable);
    await step('trust-anchors', certificates.trustAnchors);
    await step('private-key-import', certificates.importPrivateKey);
    await step('pkcs12-import', certificates.importPkcs12);
    await step('download', certificates.downloadCertificate);
    await step('delete', certificates.deleteCertificateWithKey);
    await step('xss-certificate', certificates.xssCertificate);
    await step('xss-certificate-deleted', certificates.deleteXssCertificate);
    await step('groups', groups.setGroupDefault);
    await step('keys-generate-csr', keys.generateKeyWithCsr);
    await step('keys-install-certificate', keys.installIssuedCertificate);
    await step('logs-failed-incoming', logs.failedIncomingInLogs);
    await step('logs-filters', logs.logFilters);
    await step('logs-signature-layers', signatures.signatureLayersInLogDetail);
    await step('token-status', token.tokenStatus);
    await step('session-rejected', session.rejectedSessionReturnsToSignIn);
    await step('signout', session.signOutClearsToken);

    await harness.check('no JavaScript dialog fired (XSS)', () => {
      if (harness.dialogs.length) throw new Error(`dialogs: ${harness.dialogs.join('; ')}`);
    });
    await harness.check('no console errors (CSP violations) and no page errors', () => {
      const problems = [...harness.consoleErrors, ...harness.pageErrors];
      if (problems.length) throw new Error(problems.join('\n'));
    });
    await context.close();
  } catch (error) {
    harness.results.push({ name: 'setup', ok: false, error });
    console.log(`FAIL setup: ${error.stack || error}`);
  } finally {
    await browser?.close().catch(() => {});
    await app.tearDown({ keep: opts.keep }).catch((error) => console.error(`teardown: ${error.message}`));
  }

  const failed = harness.failed;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`\n${harness.results.length - failed.length} passed, ${failed.length} failed in ${seconds} s; screenshots in ${opts.out}`);
  if (opts.keep) console.log(`kept ${app.home}`);
  process.exitCode = failed.length ? 1 : 0;
}

main();
