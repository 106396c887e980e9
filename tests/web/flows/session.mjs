// Sign-in refusals (a wrong token, a non-admin token), sign-in, a revoked session returning to
// the sign-in screen, and sign-out clearing the token.

import assert from 'node:assert/strict';
import { navigate, signIn, waitForText } from '../lib/page-helpers.mjs';

const storedToken = (page) => page.evaluate(() => sessionStorage.getItem('smime.admin.token'));

export async function wrongTokenRefused({ page, app }) {
  await page.goto(`${app.baseUrl}/admin/`);
  await page.locator('#signin-form').waitFor();
  await page.fill('#signin-token', `smk_${'0'.repeat(64)}`);
  await page.click('#signin-submit');
  await waitForText(page.locator('#signin-error'), /The API token is invalid or revoked/);
  assert.equal(await page.locator('#app-view').isHidden(), true, 'the app must stay hidden');
  assert.equal(await storedToken(page), null, 'a refused token must not be kept');

  await page.fill('#signin-token', app.operatorToken);
  await page.click('#signin-submit');
  await waitForText(page.locator('#signin-error'), /does not have the admin role/);
  assert.equal(await page.locator('#app-view').isHidden(), true);
  assert.equal(await storedToken(page), null, 'a non-admin token must not be kept');
}

export async function signInWithAdminToken({ page, app }) {
  await signIn(page, app.baseUrl, app.adminToken);
  await page.locator('.page-content[data-page="certificates"] #certificates').waitFor();
  assert.equal(await storedToken(page), app.adminToken, 'the token is kept in sessionStorage');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing goes to localStorage');
  assert.equal(await page.locator('#signin-view').isHidden(), true);
  assert.equal(await page.locator('nav a.active').textContent(), 'Certificates');
}

/** A token that stops working mid-session sends the user back to the sign-in screen. */
export async function rejectedSessionReturnsToSignIn({ page, app }) {
  await page.evaluate(() => sessionStorage.setItem('smime.admin.token', `smk_${'f'.repeat(64)}`));
  await page.click('nav a[data-route="groups"]');
  await page.locator('#signin-view').waitFor();
  await waitForText(page.locator('#signin-error'), /The API token is invalid or revoked/);
  assert.equal(await storedToken(page), null);
  await signIn(page, app.baseUrl, app.adminToken);
}

export async function signOutClearsToken({ page, app }) {
  await navigate(page, 'certificates');
  await page.click('#signout');
  await page.locator('#signin-view').waitFor();
  assert.equal(await storedToken(page), null, 'sign-out clears the token');
  assert.equal(await page.locator('#app-view').isHidden(), true);
  await page.goto(`${app.baseUrl}/admin/#/certificates`);
  await page.reload();
  await page.locator('#signin-view').waitFor();
  assert.equal(await page.locator('#app-view').isHidden(), true, 'no way back in without a token');
}
