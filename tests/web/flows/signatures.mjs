// Signature layers in the log detail (issue 16 item 5): a message signed twice is sent through
// the API — inside by mallet (issued by the anchor CA, its common name is markup), outside by a
// self-signed outsider (no chain to an anchor) — and its audit entry's detail shows one block
// per layer with the signer and a row per check (status, reason, failing certificate, source)
// and the warnings; the markup in the signer's name is shown as text.

import assert from 'node:assert/strict';
import { XSS_SIGNER_NAME } from '../lib/pki.mjs';
import { navigate, waitUntil } from '../lib/page-helpers.mjs';

const CHECKS = ['integrity', 'chain', 'revocation', 'sender_match', 'validity', 'algorithm'];

async function sendNestedSignedMessage({ app, pki }) {
  await pki.createSigners();
  const headers = { from: 'mallet@example.com', to: 'alice@example.com', subject: 'Signed twice' };
  const entity = Buffer.from('Content-Type: text/plain; charset=utf-8\r\n\r\nSigned by mallet, then by an outsider.\r\n');
  const inner = await pki.signedMessage('mallet', entity, headers);
  const outer = await pki.signedMessage('outsider', inner, headers);
  const answer = await app.request('POST', '/api/v1/messages/incoming', {
    body: outer, headers: { 'Content-Type': 'message/rfc822' },
  });
  assert.equal(answer.status, 200, answer.body.toString());
  const layers = answer.json.signatures;
  assert.equal(layers.length, 2, JSON.stringify(answer.json));
  return layers;
}

/** The row of one check of a layer block, with its status badge and details. */
async function checkRow(block, check) {
  const row = block.locator(`tr.check-row[data-check="${check}"]`);
  assert.equal(await row.count(), 1, `one ${check} row`);
  return {
    status: await row.getAttribute('data-status'),
    badge: (await row.locator('.check-status').textContent()).trim(),
    reason: await row.locator('.check-reason').count() ? await row.locator('.check-reason').textContent() : '',
    certificate: await row.locator('.check-certificate').count() ? await row.locator('.check-certificate').textContent() : '',
    source: await row.locator('.check-source').count() ? await row.locator('.check-source').textContent() : '',
  };
}

export async function signatureLayersInLogDetail(ctx) {
  const { page } = ctx;
  const layers = await sendNestedSignedMessage(ctx);
  const [outer, inner] = layers;
  assert.equal(outer.checks.chain.status, 'unknown_issuer', JSON.stringify(outer));
  assert.equal(inner.checks.chain.status, 'valid', JSON.stringify(inner));
  // RFC 2253 escapes < and > with a backslash; the markup is still there.
  assert.ok(inner.signer.subject.replaceAll('\\', '').includes(XSS_SIGNER_NAME), inner.signer.subject);

  await navigate(page, 'logs');
  await page.locator('#logs').waitFor();
  await page.click('#log-filters button:has-text("Reset")');
  const rows = page.locator('#logs tr.log-row');
  // The reset's own load first (the previous flow left only admin entries shown).
  await waitUntil(async () => (await page.locator('#logs tr.log-row[data-operation^="message."]').count()) > 0,
    { message: 'the reset filters show message entries' });
  await page.fill('#log-address', 'mallet@example.com');
  await page.click('#log-apply');
  await waitUntil(async () => (await rows.count()) === 1, { message: 'one entry for mallet' });
  await rows.first().locator('.log-toggle').click();
  const id = await rows.first().getAttribute('data-entry-id');
  const detail = page.locator(`#logs tr.log-detail[data-entry-id="${id}"]`);
  await detail.locator('.signature-layers').waitFor();

  const blocks = detail.locator('.signature-layer');
  assert.equal(await blocks.count(), 2, 'one block per layer');
  assert.deepEqual(await blocks.evaluateAll((els) => els.map((el) => el.dataset.layer)), ['1', '2'], 'outermost first');
  for (let i = 0; i < 2; ++i) {
    const block = blocks.nth(i);
    assert.equal(await block.getAttribute('data-status'), layers[i].status);
    assert.equal(await block.locator('tr.check-row').count(), CHECKS.length, 'a row per check');
    for (const check of CHECKS) {
      const shown = await checkRow(block, check);
      assert.equal(shown.status, layers[i].checks[check].status, `layer ${i + 1} ${check}`);
      assert.equal(shown.badge, layers[i].checks[check].status.replaceAll('_', ' '));
      if (layers[i].checks[check].reason) assert.equal(shown.reason, layers[i].checks[check].reason);
    }
  }

  // The outer layer: no chain to an anchor, naming the certificate it stopped at.
  const outerBlock = blocks.nth(0);
  assert.equal((await outerBlock.locator('.layer-signer').textContent()), 'CN=Outsider Self-Signed');
  const outerChain = await checkRow(outerBlock, 'chain');
  assert.equal(outerChain.badge, 'unknown issuer');
  assert.match(outerChain.reason, /not trusted/);
  assert.equal(outerChain.certificate, 'Certificate: CN=Outsider Self-Signed');

  // The inner layer: a valid chain, revocation unknown (no CRL) with its source and warning,
  // and the signer's markup as text.
  const innerBlock = blocks.nth(1);
  assert.equal(await innerBlock.locator('.layer-signer').textContent(), inner.signer.subject);
  assert.ok((await innerBlock.locator('.layer-signer').textContent()).replaceAll('\\', '').includes(XSS_SIGNER_NAME));
  const revocation = await checkRow(innerBlock, 'revocation');
  assert.equal(revocation.status, 'unknown');
  assert.equal(revocation.source, 'Source: none');
  assert.equal(await innerBlock.locator('.layer-warning[data-warning="revocation_unknown"]').count(), 1);
  assert.equal((await checkRow(innerBlock, 'integrity')).status, 'valid');
  assert.match(await innerBlock.locator('tr.check-row[data-check="algorithm"] .check-name').textContent(), /^Algorithm: .+ with SHA256$/i);

  // Markup from the mail never becomes elements.
  assert.equal(await detail.locator('.signature-layers img').count(), 0, 'no <img> from the signer name');
  const html = await detail.locator('.signature-layers').innerHTML();
  assert.ok(html.replaceAll('\\', '').includes('&lt;img src=x onerror=alert(2)&gt;'), 'the name is escaped text');
}
