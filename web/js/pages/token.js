// Token status: PKCS#11 module, token identity, login state, key count, capabilities, and the
// appliance's health (GET /healthz; its checks need the session's token).

import { requestJson } from '../api.js';
import { badge, card, h, pageHeader, properties, replace, table } from '../dom.js';
import { getToken } from '../session.js';
import { showError } from '../ui/banners.js';

const CAPABILITIES = [
  ['rsa_keygen', 'RSA key generation'],
  ['ec_keygen', 'EC key generation'],
  ['rsa_pkcs', 'RSA PKCS#1 v1.5'],
  ['rsa_pss', 'RSA-PSS'],
  ['rsa_oaep', 'RSA-OAEP'],
  ['rsa_x509', 'Raw RSA'],
  ['ecdsa', 'ECDSA'],
  ['ecdh_derive', 'ECDH derive'],
];

const yesNo = (value, yes = 'yes', no = 'no') => (value ? yes : no);

/** PKCS#11 reports CK_UNAVAILABLE_INFORMATION (all ones) for counts it does not know. */
// The server sends null when the token does not report a figure.
function count(value) {
  return typeof value === 'number' ? String(value) : 'not reported';
}

function loginCard(status) {
  const loggedIn = status.logged_in === true;
  return card({ id: 'token-login', title: 'Login' },
    h('div', { class: 'badges' },
      loggedIn ? badge('Logged in', 'ok', { id: 'login-state' }) : badge('Not logged in', 'danger', { id: 'login-state' })),
    status.login_error ? h('p', { class: 'small', text: `${status.login_error.message} (${status.login_error.code})` }) : null,
    h('div', { class: 'stat-block' },
      h('div', {},
        h('div', { class: 'stat', id: 'key-count', text: status.key_count === undefined ? '—' : String(status.key_count) }),
        h('div', { class: 'muted small', text: 'private keys in the token' }))));
}

function tokenCard(token) {
  const warnings = [
    token.user_pin_locked ? badge('User PIN locked', 'danger') : null,
    token.user_pin_final_try ? badge('Final PIN try', 'danger') : null,
    token.user_pin_count_low ? badge('PIN retries low', 'warning') : null,
    token.initialized === false ? badge('Not initialised', 'danger') : null,
  ].filter(Boolean);
  return card({ id: 'token-identity', title: 'Token' },
    properties([
      ['Label', h('span', { id: 'token-label', text: token.label || '' })],
      ['Serial', h('span', { class: 'mono', id: 'token-serial', text: token.serial || '' })],
      ['Manufacturer', token.manufacturer],
      ['Model', token.model],
      ['Initialised', yesNo(token.initialized)],
      ['User PIN', warnings.length ? h('div', { class: 'badges' }, warnings) : 'set, no warnings'],
    ]));
}

function moduleCard(status) {
  return card({ id: 'token-module', title: 'PKCS#11 module' },
    properties([
      ['Path', h('span', { class: 'mono break', id: 'module-path', text: status.module || '' })],
      ['Description', status.module_description],
      ['Version', status.module_version],
      ['Open sessions', status.sessions ? count(status.sessions.open) : ''],
      ['Session limit', status.sessions ? (status.sessions.max === null ? 'none' : count(status.sessions.max)) : ''],
      ['Re-initialisations', status.reinitializations === undefined ? '' : String(status.reinitializations)],
    ]));
}

function capabilitiesCard(capabilities = {}) {
  return card({ id: 'token-capabilities', title: 'Capabilities', description: 'Mechanisms the token offers; missing ones are completed in software around the token.' },
    h('ul', { class: 'cap-list' }, CAPABILITIES.filter(([key]) => key in capabilities).map(([key, label]) => h('li', {},
      badge(`${label}: ${yesNo(capabilities[key])}`, capabilities[key] ? 'ok' : 'neutral')))));
}

async function healthCard() {
  let health;
  try {
    // /healthz answers 503 with the same JSON when something is down; the checks and their
    // details are only shown to a caller with a token.
    const token = getToken();
    const response = await fetch('/healthz', {
      cache: 'no-store', credentials: 'omit', headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
    health = await response.json();
  } catch (error) {
    health = { status: 'unavailable', checks: {}, error: { message: `The appliance could not be reached (${error.message})` } };
  }
  const checks = Object.entries(health.checks || {});
  return card({ id: 'health', title: 'Health', actions: health.status === 'ok' ? badge('Healthy', 'ok', { id: 'health-state' }) : badge('Unavailable', 'danger', { id: 'health-state' }) },
    table(['Check', 'State', 'Detail'], checks.map(([name, check]) => h('tr', { class: 'health-row', dataset: { check: name } },
      h('td', { class: 'cell-title', text: name }),
      h('td', {}, check.ok ? badge('OK', 'ok') : badge('Failing', 'danger')),
      h('td', { class: 'break', text: check.detail || '' }))), { empty: health.error ? health.error.message : 'No checks reported.' }));
}

export function renderToken(container) {
  const area = h('div', { id: 'token-status', class: 'empty', text: 'Loading…' });
  const load = async () => {
    const [status, health] = await Promise.all([
      requestJson('/api/v1/token').catch((error) => ({ error })),
      healthCard(),
    ]);
    area.className = 'stack';
    if (status.error) {
      showError(status.error, 'Could not read the token status');
      replace(area, health);
      return;
    }
    replace(area,
      h('div', { class: 'grid-3' }, loginCard(status), tokenCard(status.token || {}), moduleCard(status)),
      h('div', { class: 'grid-2' }, capabilitiesCard(status.capabilities), health));
  };
  container.append(
    pageHeader('Token status', 'The PKCS#11 token that holds the organisation’s private keys.',
      h('button', { type: 'button', class: 'btn', text: 'Refresh', onclick: () => load() })),
    area);
  load();
}


