// Keys: generating a key in the token with a CSR that openssl accepts, and installing the
// certificate a CA issued for it (linked to the key).

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { captureDownload, navigate, waitForText } from '../lib/page-helpers.mjs';
import { openssl } from '../lib/pki.mjs';

const LABEL = 'web-test-key';
const EMAIL = 'newkey@example.com';

export async function generateKeyWithCsr({ page, workDir, state }) {
  await navigate(page, 'keys');
  await page.locator('#keys').waitFor();
  await page.selectOption('#gen-algorithm', 'ec-p256');
  await page.fill('#gen-label', LABEL);
  await page.fill('#gen-emails', EMAIL);
  await page.fill('#gen-subject', 'CN=Web Test Key,O=Example Test');
  await page.selectOption('#gen-output', 'csr');
  await page.click('#gen-submit');
  await page.locator('#generated-csr').waitFor();
  const shown = await page.inputValue('#generated-csr');
  assert.match(shown, /-----BEGIN CERTIFICATE REQUEST-----/);

  const csr = await captureDownload(page, () => page.click('#download-csr'));
  assert.equal(csr.bytes.toString(), shown, 'the download is the CSR shown');
  assert.match(csr.name, /web-test-key\.csr\.pem$/);
  const file = path.join(workDir, 'generated.csr.pem');
  await writeFile(file, csr.bytes);
  await openssl(['req', '-verify', '-in', file, '-noout']); // throws unless the signature verifies
  const text = (await openssl(['req', '-in', file, '-noout', '-text'])).toString();
  assert.match(text, /CN\s*=\s*Web Test Key/);
  assert.match(text, new RegExp(`email:${EMAIL}`));
  assert.match(text, /ASN1 OID: prime256v1|NIST CURVE: P-256/);
  state.csrFile = file;

  const row = page.locator('#keys tr.key-row', { hasText: LABEL });
  await row.waitFor();
  assert.match(await row.textContent(), /No certificate yet/);
  assert.match(await row.textContent(), /Not extractable/);
  state.generatedKeyId = await row.getAttribute('data-key-id');
}

export async function installIssuedCertificate({ page, app, pki, state }) {
  assert.ok(state.csrFile, 'needs the CSR of the previous step');
  const issued = path.join(pki.dir, 'issued.crt');
  await pki.signRequest(state.csrFile, issued, { email: EMAIL, extensions: 'smime_ec' });
  const fingerprint = await pki.fingerprint(issued);
  await page.fill('#install-paste', (await pki.read('issued.crt')).toString());
  await page.click('#install-submit');
  await page.locator(`#install-results tr.result-imported[data-fingerprint="${fingerprint}"]`).waitFor();
  await waitForText(page.locator('#banners'), /linked to key/);

  const stored = await app.json('GET', `/api/v1/certificates/${fingerprint}`);
  assert.equal(stored.has_private_key, true, 'the issued certificate is linked to the token key');
  assert.equal(stored.token_key_id, state.generatedKeyId);
  const row = page.locator(`#keys tr.key-row[data-key-id="${state.generatedKeyId}"]`);
  await waitForText(row, /Web Test Key/);
}
