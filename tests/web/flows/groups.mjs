// Groups: setting a group's default behaviour and its incoming verification policy, and seeing
// them persisted after a reload.

import assert from 'node:assert/strict';
import { navigate, waitUntil } from '../lib/page-helpers.mjs';

const defaultOf = (page, name) => page.locator(`#groups tr.group-row[data-group="${name}"] .group-default`);

async function reloadGroups(page) {
  await page.reload();
  await page.locator('.page-content[data-page="groups"] #groups').waitFor();
}

export async function setGroupDefault({ page, app }) {
  await navigate(page, 'groups');
  await page.fill('#group-name', 'support');
  await page.fill('#group-email', 'support@example.org');
  await page.selectOption('#group-default', 'sign');
  await page.click('#group-submit');
  await waitUntil(async () => (await defaultOf(page, 'support').getAttribute('data-value', { timeout: 500 })) === 'sign', { message: 'group support with default sign' });

  await reloadGroups(page);
  assert.equal(await defaultOf(page, 'support').textContent(), 'Sign only');
  assert.equal((await app.json('GET', '/api/v1/groups/support')).default, 'sign');

  // Change it to encrypt only through Edit; the name is fixed while editing.
  await page.locator('#groups tr.group-row[data-group="support"] button', { hasText: 'Edit' }).click();
  assert.equal(await page.locator('#group-name').getAttribute('readonly'), '');
  assert.equal(await page.inputValue('#group-email'), 'support@example.org');
  await page.selectOption('#group-default', 'encrypt');
  await page.click('#group-submit');
  await waitUntil(async () => (await defaultOf(page, 'support').getAttribute('data-value', { timeout: 500 })) === 'encrypt', { message: 'default encrypt' });
  await reloadGroups(page);
  assert.equal(await defaultOf(page, 'support').textContent(), 'Encrypt only');
  const stored = await app.json('GET', '/api/v1/groups/support');
  assert.equal(stored.default, 'encrypt');
  assert.equal(stored.email, 'support@example.org');

  // The group's own verification policy for incoming mail: hard revocation, SHA-1 rejected.
  const policyOf = (name) => page.locator(`#groups tr.group-row[data-group="${name}"] .group-policy`);
  assert.equal(await policyOf('support').textContent(), 'Incoming: Appliance');
  await page.locator('#groups tr.group-row[data-group="support"] button', { hasText: 'Edit' }).click();
  assert.equal(await page.inputValue('#group-revocation'), '');
  await page.selectOption('#group-revocation', 'hard');
  await page.selectOption('#group-reject-sha1', 'true');
  await page.click('#group-submit');
  await waitUntil(async () => (await policyOf('support').getAttribute('data-revocation', { timeout: 500 })) === 'hard', { message: 'group support with revocation hard' });
  await reloadGroups(page);
  assert.equal(await policyOf('support').textContent(), 'Incoming: Revocation hard, SHA-1 rejected');
  let policy = await app.json('GET', '/api/v1/groups/support');
  assert.equal(policy.revocation, 'hard');
  assert.equal(policy.reject_sha1, true);
  assert.equal(policy.default, 'encrypt');
  // Editing shows the stored policy; back to the appliance's revocation setting.
  await page.locator('#groups tr.group-row[data-group="support"] button', { hasText: 'Edit' }).click();
  assert.equal(await page.inputValue('#group-revocation'), 'hard');
  assert.equal(await page.inputValue('#group-reject-sha1'), 'true');
  await page.selectOption('#group-revocation', '');
  await page.click('#group-submit');
  await waitUntil(async () => (await policyOf('support').getAttribute('data-revocation', { timeout: 500 })) === '', { message: 'group support with the appliance revocation policy' });
  policy = await app.json('GET', '/api/v1/groups/support');
  assert.equal(policy.revocation, null);
  assert.equal(policy.reject_sha1, true);
  assert.equal(await policyOf('support').textContent(), 'Incoming: SHA-1 rejected');

  // A second group with "none", to show every behaviour label.
  await page.fill('#group-name', 'newsletter');
  await page.fill('#group-email', 'news@example.org');
  await page.selectOption('#group-default', 'none');
  await page.click('#group-submit');
  await waitUntil(async () => (await defaultOf(page, 'newsletter').count()) === 1, { message: 'group newsletter' });
  assert.equal(await defaultOf(page, 'newsletter').textContent(), 'None (neither)');

  // Delete it again, after a confirmation.
  await page.locator('#groups tr.group-row[data-group="newsletter"] button', { hasText: 'Delete' }).click();
  const dialog = page.locator('#delete-group-dialog');
  await dialog.waitFor();
  await dialog.locator('button[type="submit"]').click();
  await page.locator('#groups tr.group-row[data-group="newsletter"]').waitFor({ state: 'detached' });
  assert.equal((await app.request('GET', '/api/v1/groups/newsletter')).status, 404);
}
