// The sign-in screen: an admin API token, checked against an admin-only route before it is
// kept (in sessionStorage, for this tab only).

import { request } from '../api.js';
import { setToken } from '../session.js';

/** Checks that token is valid and has the admin role; throws an Error with the reason. */
async function checkAdminToken(token) {
  try {
    await request('/api/v1/api-tokens', { token });
  } catch (error) {
    if (error.status === 403) {
      throw new Error(`This API token does not have the admin role (${error.message}).`);
    }
    throw error;
  }
}

function showError(message) {
  const box = document.getElementById('signin-error');
  box.textContent = message;
  box.hidden = !message;
}

/** Shows the sign-in screen, optionally with a notice (e.g. why the session ended). */
export function showSignIn(notice = '') {
  const view = document.getElementById('signin-view');
  view.hidden = false;
  const box = document.getElementById('signin-error');
  box.className = notice && !/^Signed out:/.test(notice) ? 'banner banner-info' : 'banner banner-error';
  showError(notice);
  const input = document.getElementById('signin-token');
  input.value = '';
  input.focus();
}

export function initSignIn(onSignedIn) {
  const form = document.getElementById('signin-form');
  const input = document.getElementById('signin-token');
  const submit = document.getElementById('signin-submit');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    document.getElementById('signin-error').className = 'banner banner-error';
    if (!token) {
      showError('Enter an admin API token.');
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Checking…';
    try {
      await checkAdminToken(token);
      setToken(token);
      input.value = '';
      showError('');
      document.getElementById('signin-view').hidden = true;
      onSignedIn();
    } catch (error) {
      showError(error.message);
    } finally {
      submit.disabled = false;
      submit.textContent = 'Sign in';
    }
  });
}
