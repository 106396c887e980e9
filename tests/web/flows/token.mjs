// Token status: module, token identity, login state, key count, capabilities and health.

import assert from 'node:assert/strict';
import { navigate, waitForText } from '../lib/page-helpers.mjs';

export async function tokenStatus({ page, app }) {
  await navigate(page, 'token');
  await page.locator('#token-identity').waitFor();
  const status = await app.json('GET', '/api/v1/token');
  assert.equal(await page.locator('#module-path').textContent(), status.module);
  assert.equal(await page.locator('#token-label').textContent(), status.token.label);
  assert.equal(await page.locator('#token-serial').textContent(), status.token.serial);
  assert.match(await page.locator('#token-identity').textContent(), /SoftHSM/);
  assert.equal(await page.locator('#login-state').textContent(), 'Logged in');
  assert.equal(await page.locator('#key-count').textContent(), String(status.key_count));
  assert.match(await page.locator('#token-capabilities').textContent(), /ECDSA: yes/);
  await waitForText(page.locator('#health-state'), /Healthy/);
  assert.equal(await page.locator('#health tr.health-row').count(), 2);
  assert.match(await page.locator('#health').textContent(), /database.*token|token.*database/s);
}
