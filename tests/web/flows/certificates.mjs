// Certificates: importing a bundle (per-certificate results, a rule failure, duplicates), the
// table (validity badges, CA), private keys (encrypted PKCS#8 with passphrase, PKCS#12) and the
// key indicator, downloads compared with the API and the originals, deletion.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  captureDownload, certificateAction, certificateRow, navigate, waitForText, waitUntil,
} from '../lib/page-helpers.mjs';
import { PASSPHRASES, openssl, pemToDer } from '../lib/pki.mjs';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

export async function importBundle({ page, pki }) {
  await navigate(page, 'import');
  await page.setInputFiles('#cert-import-file', pki.file('bundle.pem'));
  await page.click('#cert-import-submit');
  const results = page.locator('#cert-import-results .results-table');
  await results.waitFor();
  const fp = pki.fingerprints;
  for (const name of ['ca', 'alice', 'carol', 'dave']) {
    await results.locator(`tr.result-imported[data-fingerprint="${fp[name]}"]`).waitFor();
  }
  assert.equal(await results.locator('tr.result-imported').count(), 4);
  const rejected = results.locator(`tr.result-rule[data-fingerprint="${fp.noemail}"]`);
  assert.equal(await rejected.count(), 1, 'the certificate without an email address is rejected');
  assert.equal(await rejected.locator('.rule-name').textContent(), 'subject_alt_name_email');
  assert.match(await rejected.textContent(), /no email address/i);
  assert.match(await rejected.textContent(), /Rejected/);
  await waitForText(page.locator('#cert-import-form'), /Imported 4 of 5 items/);
}

export async function importDuplicatesByPaste({ page, pki }) {
  // The same CA pasted again: nothing stored, each certificate reported as a duplicate.
  await page.fill('#cert-import-paste', (await pki.read('ca.crt')).toString());
  await page.click('#cert-import-submit');
  const row = page.locator(`#cert-import-results tr.result-duplicate[data-fingerprint="${pki.fingerprints.ca}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Fingerprint already taken/);
  await waitForText(page.locator('#cert-import-form'), /Nothing was imported/);
}

export async function importDerAndPkcs7({ page, pki }) {
  for (const [file, name] of [['erin.der', 'erin'], ['frank.p7b', 'frank']]) {
    await page.setInputFiles('#cert-import-file', pki.file(file));
    await page.click('#cert-import-submit');
    await page.locator(`#cert-import-results tr.result-imported[data-fingerprint="${pki.fingerprints[name]}"]`).waitFor();
    await waitForText(page.locator('#cert-import-form'), new RegExp(`Imported 1 of 1 item from ${file.replace('.', '\\.')}`));
  }
}

export async function certificateTable({ page, pki }) {
  await navigate(page, 'certificates');
  const fp = pki.fingerprints;
  await certificateRow(page, fp.alice).waitFor();
  const alice = certificateRow(page, fp.alice);
  assert.equal(await alice.locator('.subject-cell .cell-title').textContent(), 'Alice Example');
  assert.equal(await alice.locator('.emails-cell').textContent(), 'alice@example.com');
  assert.equal(await alice.locator('.fingerprint').getAttribute('title'), fp.alice, 'full fingerprint in the title');
  assert.equal(await alice.locator('.validity-valid').count(), 1);
  assert.match(await alice.locator('.usage-cell').textContent(), /digitalSignature.*keyEncipherment.*emailProtection/);
  assert.equal(await alice.locator('.key-indicator').count(), 0, 'no key yet');
  assert.equal(await certificateRow(page, fp.carol).locator('.validity-expired').textContent(), 'Expired');
  assert.equal(await certificateRow(page, fp.dave).locator('.validity-not_yet_valid').textContent(), 'Not yet valid');
  assert.equal(await certificateRow(page, fp.ca).locator('.ca-cell').textContent(), 'CA');
  assert.equal(await certificateRow(page, fp.alice).locator('.ca-cell').textContent(), '—');
  assert.equal(await alice.locator('.revocation-state').textContent(), 'Not revoked');

  // Search by email.
  await page.fill('#certificate-search', 'CAROL@example.com');
  await page.press('#certificate-search', 'Enter');
  await waitUntil(async () => (await page.locator('#certificates tr.certificate-row').count()) === 1, { message: 'one search result' });
  await certificateRow(page, fp.carol).waitFor();
  await page.fill('#certificate-search', '');
  await page.press('#certificate-search', 'Enter');
  await waitUntil(async () => (await page.locator('#certificates tr.certificate-row').count()) === 6, { message: 'all six certificates' });
}

export async function trustAnchors({ page, app, pki }) {
  // The bundle's CA (self-signed) is an anchor; the certificates it issued in the same bundle
  // only help path building until the administrator makes one an anchor.
  await navigate(page, 'certificates');
  const fp = pki.fingerprints;
  await certificateRow(page, fp.ca).waitFor();
  assert.equal(await certificateRow(page, fp.ca).locator('.trust-cell').textContent(), 'Anchor');
  assert.equal(await certificateRow(page, fp.alice).locator('.trust-cell').textContent(), '—');
  assert.equal((await app.json('GET', `/api/v1/certificates/${fp.alice}`)).trusted, false);

  await certificateAction(page, fp.alice, 'Make trust anchor');
  await waitForText(certificateRow(page, fp.alice).locator('.trust-cell'), /^Anchor$/);
  assert.equal((await app.json('GET', `/api/v1/certificates/${fp.alice}`)).trusted, true);

  await certificateAction(page, fp.alice, 'Remove as trust anchor');
  await waitForText(certificateRow(page, fp.alice).locator('.trust-cell'), /^—$/);
  assert.equal((await app.json('GET', `/api/v1/certificates/${fp.alice}`)).trusted, false);
  const { entries } = await app.json('GET', '/api/v1/logs?operation=certificate.trust');
  assert.equal(entries.length, 2, 'both changes are audited');
}

export async function importPrivateKey({ page, app, pki }) {
  const fp = pki.fingerprints;
  // From the row's menu to the import form with the certificate chosen.
  await certificateAction(page, fp.alice, 'Import private key');
  await page.locator('.page-content[data-page="import"] #key-form').waitFor();
  await waitUntil(async () => (await page.inputValue('#key-certificate')) === fp.alice, { message: 'alice preselected' });

  await page.setInputFiles('#key-file', pki.file('alice.enc.key'));
  await page.fill('#key-passphrase', 'not the passphrase');
  await page.click('#key-submit');
  await waitForText(page.locator('#key-status'), /passphrase/i);
  assert.match(await page.locator('#key-status .banner').getAttribute('class'), /banner-error/);

  await page.setInputFiles('#key-file', pki.file('alice.enc.key'));
  await page.fill('#key-passphrase', PASSPHRASES.aliceKey);
  await page.check('#key-exportable');
  await page.click('#key-submit');
  await waitForText(page.locator('#key-status'), /The private key is in the token .*exportable/);

  const stored = await app.json('GET', `/api/v1/certificates/${fp.alice}`);
  assert.equal(stored.has_private_key, true);
  assert.equal(stored.key_exportable, true);

  await navigate(page, 'certificates');
  const row = certificateRow(page, fp.alice);
  await row.locator('.key-indicator').waitFor();
  assert.match(await row.locator('.key-cell').textContent(), /Key in token.*Exportable/);
  for (const name of ['ca', 'carol', 'dave', 'erin', 'frank']) {
    assert.equal(await certificateRow(page, fp[name]).locator('.key-indicator').count(), 0, `${name} has no key`);
  }
}

export async function importPkcs12({ page, pki }) {
  await navigate(page, 'import');
  await page.setInputFiles('#cert-import-file', pki.file('bob.p12'));
  await page.fill('#cert-import-passphrase', PASSPHRASES.bobP12);
  await page.click('#cert-import-submit');
  const row = page.locator(`#cert-import-results tr.result-imported[data-fingerprint="${pki.fingerprints.bob}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /Key stored in token/);

  await navigate(page, 'certificates');
  await certificateRow(page, pki.fingerprints.bob).locator('.key-indicator').waitFor();
  // Not exportable: the menu offers no private key download.
  const menu = certificateRow(page, pki.fingerprints.bob).locator('.menu-item', { hasText: 'Download private key' });
  assert.equal(await menu.count(), 0);
}

export async function downloadCertificate({ page, app, pki, workDir, snap }) {
  const fp = pki.fingerprints.alice;
  await navigate(page, 'certificates');
  // The actions menu of a certificate with an exportable key offers every action.
  const summary = certificateRow(page, fp).locator('details.menu > summary');
  await summary.click();
  const items = await certificateRow(page, fp).locator('.menu-item').allTextContents();
  assert.deepEqual(items, ['Download certificate (PEM)', 'Download certificate (DER)', 'Download private key…', 'Show details', 'Make trust anchor', 'Delete…']);
  await snap('actions-menu');
  await summary.click();
  const pem = await captureDownload(page, () => certificateAction(page, fp, 'Download certificate (PEM)'));
  const fromApi = await app.request('GET', `/api/v1/certificates/${fp}/download?format=pem`);
  assert.equal(fromApi.status, 200);
  assert.ok(pem.bytes.equals(fromApi.body), 'the browser download equals the API download byte for byte');
  assert.match(pem.name, /\.pem$/);
  const original = pemToDer(await pki.read('alice.crt'));
  assert.ok(pemToDer(pem.bytes).equals(original), 'the PEM holds the original certificate');
  assert.equal(sha256(pemToDer(pem.bytes)), fp);

  const der = await captureDownload(page, () => certificateAction(page, fp, 'Download certificate (DER)'));
  assert.ok(der.bytes.equals(original), 'the DER download equals the original DER');

  // The exportable key: encrypted PKCS#8 under a passphrase asked for in a dialog.
  const passphrase = 'export-passphrase-123';
  await certificateAction(page, fp, 'Download private key');
  const dialog = page.locator('#export-key-dialog');
  await dialog.waitFor();
  await dialog.locator('input[name="passphrase"]').fill(passphrase);
  await dialog.locator('input[name="passphrase-again"]').fill('something else');
  await dialog.locator('button[type="submit"]').click();
  await waitForText(dialog.locator('.dialog-error'), /differ/);
  await dialog.locator('input[name="passphrase-again"]').fill(passphrase);
  await snap('export-key-dialog');
  const key = await captureDownload(page, () => dialog.locator('button[type="submit"]').click());
  assert.match(key.bytes.toString(), /-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const keyFile = `${workDir}/exported.key.pem`;
  await writeFile(keyFile, key.bytes);
  const exportedPublic = await openssl(['pkey', '-in', keyFile, '-passin', `pass:${passphrase}`, '-pubout']);
  const certificatePublic = await openssl(['x509', '-in', pki.file('alice.crt'), '-noout', '-pubkey']);
  assert.equal(exportedPublic.toString(), certificatePublic.toString(), 'the exported key belongs to the certificate');
  await page.locator('#export-key-dialog').waitFor({ state: 'detached' });
}

export async function deleteCertificateWithKey({ page, app, pki, snap }) {
  const fp = pki.fingerprints.bob;
  const before = await app.json('GET', `/api/v1/certificates/${fp}`);
  assert.ok(before.token_key_id);
  await navigate(page, 'certificates');
  await certificateAction(page, fp, 'Delete');
  const dialog = page.locator('#delete-dialog');
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /Bob Example/);
  // Cancel first: nothing happens.
  await dialog.locator('button', { hasText: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await certificateRow(page, fp).waitFor();

  await certificateAction(page, fp, 'Delete');
  await dialog.waitFor();
  await dialog.locator('input[name="option"]').check();
  await snap('delete-confirmation');
  await dialog.locator('button[type="submit"]').click();
  await certificateRow(page, fp).waitFor({ state: 'detached' });
  await waitForText(page.locator('#banners'), /Deleted the certificate .*Bob Example.* and its private key/);

  assert.equal((await app.request('GET', `/api/v1/certificates/${fp}`)).status, 404);
  const { keys } = await app.json('GET', '/api/v1/keys');
  assert.ok(!keys.some((k) => k.id === before.token_key_id), 'the key left the token too');
  await page.reload();
  await page.locator('#certificates').waitFor();
  assert.equal(await certificateRow(page, fp).count(), 0, 'still gone after a reload');
}

export async function xssCertificate({ page, app, pki, snap }) {
  const xss = pki.fingerprints.xss;
  await navigate(page, 'import');
  await page.fill('#cert-import-paste', (await readFile(pki.file('xss.crt'))).toString());
  await page.click('#cert-import-submit');
  const result = page.locator(`#cert-import-results tr.result-imported[data-fingerprint="${xss}"]`);
  await result.waitFor();
  assert.equal(await result.locator('.cell-title').textContent(), '<script>alert(1)</script>');

  await navigate(page, 'certificates');
  const row = certificateRow(page, xss);
  await row.waitFor();
  assert.equal(await row.locator('.subject-cell .cell-title').textContent(), '<script>alert(1)</script>');
  // The DN is shown as the server gives it (RFC 2253, with its backslash escapes), as text.
  assert.match((await row.locator('.subject-dn').textContent()).replaceAll('\\', ''), /CN=<script>alert\(1\)<\/script>/);
  assert.equal(await page.locator('#certificates script').count(), 0, 'no <script> element in the table');
  assert.equal(await page.locator('#page script, #banners script, dialog script').count(), 0);
  const stored = await app.json('GET', `/api/v1/certificates/${xss}`);
  assert.match(stored.subject.replaceAll('\\', ''), /<script>alert\(1\)<\/script>/);
  // The details dialog renders the subject as text as well.
  await certificateAction(page, xss, 'Show details');
  const details = page.locator('#details-dialog');
  await details.waitFor();
  assert.match((await details.textContent()).replaceAll('\\', ''), /CN=<script>alert\(1\)<\/script>/);
  assert.equal(await details.locator('script').count(), 0);
  await snap('xss-details-dialog');
  await details.locator('button', { hasText: 'Close' }).click();
  await details.waitFor({ state: 'detached' });
  await page.waitForTimeout(200); // an injected script would have run by now
}

export async function deleteXssCertificate({ page, pki }) {
  await certificateAction(page, pki.fingerprints.xss, 'Delete');
  const dialog = page.locator('#delete-dialog');
  await dialog.waitFor();
  assert.equal(await dialog.locator('input[name="option"]').count(), 0, 'no key option without a key');
  await dialog.locator('button[type="submit"]').click();
  await certificateRow(page, pki.fingerprints.xss).waitFor({ state: 'detached' });
}
