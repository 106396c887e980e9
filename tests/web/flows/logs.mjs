// Recent logs: a failed incoming operation, its details, the "retryable now" mark once the
// missing key was imported, and the filters.

import assert from 'node:assert/strict';
import { navigate, waitForText, waitUntil } from '../lib/page-helpers.mjs';

/** Causes two failed incoming operations through the API (before alice's key exists). */
export async function causeFailedIncoming({ app, pki }) {
  const encrypted = await pki.encryptedMessage(pki.file('alice.crt'), {
    from: 'bob@example.net', to: 'alice@example.com', subject: 'Encrypted for Alice',
  });
  const answer = await app.request('POST', '/api/v1/messages/incoming', {
    body: encrypted, headers: { 'Content-Type': 'message/rfc822' },
  });
  assert.equal(answer.status, 200, answer.body.toString());
  assert.equal(answer.json.decrypted, false);
  assert.ok(answer.json.errors.length > 0);

  const garbage = Buffer.from('From: mallory@example.net\r\nTo: alice@example.com\r\nSubject: broken\r\n'
    + 'Message-ID: <garbage-1@example.net>\r\nMIME-Version: 1.0\r\n'
    + 'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n'
    + 'Content-Transfer-Encoding: base64\r\n\r\nMIIBgarbage==\r\n');
  const broken = await app.request('POST', '/api/v1/messages/incoming', {
    body: garbage, headers: { 'Content-Type': 'message/rfc822' },
  });
  assert.ok(broken.status === 200 || broken.status >= 400, `garbage answered ${broken.status}`);
}

const rows = (page) => page.locator('#logs tr.log-row');

export async function failedIncomingInLogs({ page }) {
  await navigate(page, 'logs');
  await page.locator('#logs').waitFor();
  // Newest first: ids decrease down the table.
  const ids = await rows(page).evaluateAll((trs) => trs.map((tr) => Number(tr.dataset.entryId)));
  assert.ok(ids.length > 5);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');

  await page.selectOption('#log-direction', 'incoming');
  await page.selectOption('#log-status', 'failed');
  await page.click('#log-apply');
  await waitUntil(async () => {
    const states = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.dataset.status));
    return states.length === 2 && states.every((s) => s === 'failed');
  }, { message: 'two failed incoming entries' });

  const decrypt = page.locator('#logs tr.log-row[data-operation="message.decrypt"]');
  assert.equal(await decrypt.count(), 1);
  assert.equal(await decrypt.locator('.retryable-mark').count(), 1, 'alice\'s key is now in the token: retryable');
  assert.match(await decrypt.textContent(), /alice@example\.com/);
  const garbage = page.locator('#logs tr.log-row.row-failed', { hasText: 'mallory@example.net' });
  assert.equal(await garbage.count(), 1);
  assert.equal(await garbage.locator('.retryable-mark').count(), 0, 'garbage never becomes retryable');

  // The details of the failure.
  await decrypt.locator('.log-toggle').click();
  const id = await decrypt.getAttribute('data-entry-id');
  const detail = page.locator(`#logs tr.log-detail[data-entry-id="${id}"]`);
  await detail.waitFor();
  await waitForText(detail, /None of the organisation's keys in the token can decrypt this message/);
  assert.match(await detail.textContent(), /key issuer=.*serial=/);
  assert.match(await detail.textContent(), /resubmit/);

  // Address filter and the retryable-only filter.
  await page.fill('#log-address', 'mallory@example.net');
  await page.click('#log-apply');
  await waitUntil(async () => (await rows(page).count()) === 1, { message: 'one entry for mallory' });
  await page.fill('#log-address', '');
  await page.check('#log-retryable');
  await waitUntil(async () => {
    const ops = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.dataset.operation));
    return ops.length === 1 && ops[0] === 'message.decrypt';
  }, { message: 'only the retryable decrypt entry' });
  await page.locator('#logs tr.log-row .log-toggle').click();
  await page.locator('#logs tr.log-detail:not([hidden])').waitFor();
}

export async function logFilters({ page }) {
  await page.click('#log-filters button:has-text("Reset")');
  await page.fill('#log-operation', 'group.set');
  await page.click('#log-apply');
  await waitUntil(async () => {
    const ops = await rows(page).evaluateAll((trs) => trs.map((tr) => tr.dataset.operation));
    return ops.length >= 2 && ops.every((o) => o === 'group.set');
  }, { message: 'only group.set entries' });
  await page.selectOption('#log-direction', 'admin');
  await page.fill('#log-operation', '');
  await page.click('#log-apply');
  await waitUntil(async () => {
    const count = await rows(page).count();
    const admin = await page.locator('#logs tr.log-row .badge', { hasText: /^admin$/ }).count();
    return count > 0 && count === admin;
  }, { message: 'only admin entries' });
}
