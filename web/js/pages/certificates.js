// Certificates: the table (subject, emails, fingerprint, validity, usage, CA, revocation, key
// in the token) with a per-row actions menu, search by email and a filter.

import { certificatePath, request, requestFile, requestJson } from '../api.js';
import { badge, h, pageHeader, properties, replace, select, table } from '../dom.js';
import {
  commonName, formatDate, keyDescription, plural, shortFingerprint, validityState,
} from '../format.js';
import { showError, showSuccess } from '../ui/banners.js';
import { confirmDialog, infoDialog, passphraseDialog } from '../ui/dialogs.js';
import { saveBlob } from '../ui/download.js';

const VALIDITY_BADGES = {
  valid: ['Valid', 'ok'],
  expired: ['Expired', 'danger'],
  not_yet_valid: ['Not yet valid', 'warning'],
};

const FILTERS = [
  ['all', 'All certificates'],
  ['with-key', 'With a private key in the token'],
  ['ca', 'CA certificates'],
  ['end-entity', 'End-entity certificates'],
];

function keyIndicator(certificate) {
  if (!certificate.has_private_key) return h('span', { class: 'muted', text: '—' });
  const title = certificate.key_exportable
    ? 'The private key is in the token and was imported as exportable'
    : 'The private key is in the token (not extractable)';
  return h('div', { class: 'badges' },
    badge([h('img', { src: 'img/key.svg', alt: '' }), 'Key in token'], 'key', { class: 'key-indicator', title }),
    certificate.key_exportable ? badge('Exportable', 'neutral', { title }) : null);
}

function subjectCell(certificate) {
  return h('td', { class: 'subject-cell' },
    h('div', { class: 'cell-title', text: commonName(certificate.subject) }),
    h('div', { class: 'cell-sub subject-dn', text: certificate.subject }),
    h('div', { class: 'cell-sub', text: keyDescription(certificate.key_algorithm, certificate.key_bits, certificate.curve) }));
}

function day(seconds) {
  return formatDate(seconds).slice(0, 10);
}

function validityCell(certificate) {
  const state = validityState(certificate);
  const [label, kind] = VALIDITY_BADGES[state];
  return h('td', { class: 'validity-cell' },
    h('div', { class: 'badges' },
      badge(label, kind, { class: `validity-${state}` }),
      certificate.status === 'revoked' ? badge('Revoked', 'danger', { class: 'revocation-state' }) : null),
    h('div', {
      class: 'cell-sub nowrap dates',
      title: `Not before ${formatDate(certificate.not_before)}\nNot after ${formatDate(certificate.not_after)}`,
      text: `${day(certificate.not_before)} → ${day(certificate.not_after)}`,
    }),
    certificate.status === 'revoked' ? null : h('div', { class: 'cell-sub revocation-state', text: 'Not revoked' }));
}

function usageCell(certificate) {
  const usages = (certificate.key_usages || []).map((u) => h('span', { class: 'chip', text: u }));
  const extended = (certificate.extended_key_usages || []).map((u) => h('span', { class: 'chip chip-eku', text: u }));
  // No Key Usage extension, accepted under the legacy-certificate policy: every usage.
  const unrestricted = (certificate.legacy_rules || []).includes('key_usage') && !usages.length;
  const empty = unrestricted
    ? h('span', { class: 'muted', title: 'No Key Usage extension (legacy-certificate policy)', text: 'any (no Key Usage)' })
    : h('span', { class: 'muted', text: 'none' });
  return h('td', { class: 'usage-cell' },
    usages.length || extended.length ? [usages, extended] : empty);
}

async function downloadCertificate(certificate, format) {
  try {
    const { blob, filename } = await requestFile(certificatePath(certificate.fingerprint, '/download'), {
      query: { format },
    });
    saveBlob(blob, filename || `${certificate.fingerprint.slice(0, 16)}.${format === 'der' ? 'cer' : 'pem'}`);
  } catch (error) {
    showError(error, 'Download failed');
  }
}

async function downloadPrivateKey(certificate) {
  await passphraseDialog({
    id: 'export-key-dialog',
    title: 'Download private key',
    message: `The key of “${commonName(certificate.subject)}” is exported as an encrypted PKCS#8 PEM `
      + 'file (AES-256). Choose the passphrase that will protect the file.',
    confirmLabel: 'Download',
    onConfirm: async (passphrase) => {
      const { blob, filename } = await requestFile(certificatePath(certificate.fingerprint, '/private-key/export'), {
        method: 'POST', json: { passphrase },
      });
      saveBlob(blob, filename || `${certificate.fingerprint.slice(0, 16)}.key.pem`);
      return true;
    },
  });
}

async function deleteCertificate(certificate, reload) {
  const result = await confirmDialog({
    id: 'delete-dialog',
    title: 'Delete certificate',
    message: `Delete the certificate “${commonName(certificate.subject)}” (SHA-256 ${shortFingerprint(certificate.fingerprint)})? This cannot be undone.`,
    confirmLabel: 'Delete',
    danger: true,
    option: certificate.has_private_key
      ? { label: 'Also delete its private key from the token (unless another certificate uses it)', checked: false }
      : null,
    onConfirm: async ({ option }) => {
      await request(certificatePath(certificate.fingerprint), {
        method: 'DELETE', query: option ? { with_key: 'true' } : {},
      });
    },
  });
  if (!result) return;
  showSuccess(`Deleted the certificate “${commonName(certificate.subject)}”${result.option ? ' and its private key' : ''}.`);
  reload();
}

async function setTrust(certificate, trusted, reload) {
  try {
    await requestJson(certificatePath(certificate.fingerprint, '/trust'), {
      method: 'PUT', json: { trusted },
    });
  } catch (error) {
    showError(error, 'Could not change the trust anchor');
    return;
  }
  showSuccess(trusted
    ? `“${commonName(certificate.subject)}” is now a trust anchor.`
    : `“${commonName(certificate.subject)}” is no longer a trust anchor.`);
  reload();
}

async function showDetails(certificate) {
  let full = certificate;
  try {
    full = await requestJson(certificatePath(certificate.fingerprint));
  } catch (error) {
    showError(error, 'Could not load the certificate');
    return;
  }
  const chain = full.chain_trusted === undefined ? null
    : full.chain_trusted ? badge('Trusted chain', 'ok') : h('span', {}, badge('Untrusted', 'warning'), ' ', full.chain_error || '');
  await infoDialog({
    id: 'details-dialog',
    title: 'Certificate details',
    body: properties([
      ['Subject', full.subject],
      ['Issuer', full.issuer],
      ['Serial', h('span', { class: 'mono', text: full.serial })],
      ['Emails', (full.emails || []).join(', ')],
      ['SHA-256', h('span', { class: 'mono break', text: full.fingerprint })],
      ['SHA-1', h('span', { class: 'mono break', text: full.sha1 })],
      ['Not before', formatDate(full.not_before)],
      ['Not after', formatDate(full.not_after)],
      ['Status', full.status],
      ['Public key', keyDescription(full.key_algorithm, full.key_bits, full.curve)],
      ['Key usage', (full.key_usages || []).join(', ')],
      ['Extended key usage', (full.extended_key_usages || []).join(', ')],
      ['Can sign / encrypt', `${full.can_sign ? 'yes' : 'no'} / ${full.can_encrypt ? 'yes' : 'no'}`],
      ['CA', full.is_ca ? 'yes' : 'no'],
      ['Trust anchor', full.trusted ? 'yes' : 'no (path building only)'],
      ['Legacy', full.legacy ? `accepted under the legacy-certificate policy: ${(full.legacy_rules || []).join(', ')}` : 'no'],
      ['Private key', full.has_private_key ? `in the token (id ${full.token_key_id || '?'})${full.key_exportable ? ', exportable' : ''}` : 'none'],
      ['Subject key id', h('span', { class: 'mono break', text: full.subject_key_id })],
      ['Authority key id', h('span', { class: 'mono break', text: full.authority_key_id })],
      ['Chain', chain],
      ['Added', formatDate(full.created_at)],
    ]),
  });
}

function actionsMenu(certificate, reload) {
  const menu = h('details', { class: 'menu' });
  const item = (label, action, danger = false) => h('button', {
    type: 'button', role: 'menuitem', class: ['menu-item', danger ? 'danger' : null], text: label,
    onclick: () => {
      menu.open = false;
      action();
    },
  });
  const canExport = certificate.has_private_key && certificate.key_exportable;
  const canImportKey = !certificate.has_private_key && !certificate.is_ca;
  menu.append(
    h('summary', { class: 'btn btn-small', 'aria-label': `Actions for ${certificate.subject}` }, 'Actions'),
    h('div', { class: 'menu-list', role: 'menu' },
      item('Download certificate (PEM)', () => downloadCertificate(certificate, 'pem')),
      item('Download certificate (DER)', () => downloadCertificate(certificate, 'der')),
      canExport ? item('Download private key…', () => downloadPrivateKey(certificate)) : null,
      canImportKey ? item('Import private key…', () => {
        window.location.hash = `#/import?fingerprint=${encodeURIComponent(certificate.fingerprint)}`;
      }) : null,
      item('Show details', () => showDetails(certificate)),
      certificate.trusted
        ? item('Remove as trust anchor', () => setTrust(certificate, false, reload))
        : item('Make trust anchor', () => setTrust(certificate, true, reload)),
      h('div', { class: 'menu-sep', role: 'separator' }),
      item('Delete…', () => deleteCertificate(certificate, reload), true)));
  return menu;
}

function certificateRow(certificate, reload) {
  return h('tr', {
    class: ['certificate-row', certificate.has_private_key ? 'has-key' : null],
    dataset: { fingerprint: certificate.fingerprint },
  },
  subjectCell(certificate),
  h('td', { class: 'emails-cell' }, (certificate.emails || []).length
    ? h('ul', { class: 'list-plain' }, certificate.emails.map((e) => h('li', { class: 'break', text: e })))
    : h('span', { class: 'muted', text: '—' })),
  h('td', { class: 'fingerprint-cell' },
    h('span', { class: 'fingerprint', title: certificate.fingerprint, text: shortFingerprint(certificate.fingerprint) })),
  validityCell(certificate),
  usageCell(certificate),
  h('td', { class: 'ca-cell' }, h('div', { class: 'badges' },
    certificate.is_ca ? badge('CA', 'info') : h('span', { class: 'muted', text: '—' }),
    certificate.legacy
      ? badge('Legacy', 'warning', { class: 'legacy-badge', title: `Accepted under the legacy-certificate policy (${(certificate.legacy_rules || []).join(', ')})` })
      : null)),
  h('td', { class: 'trust-cell' }, certificate.trusted
    ? badge('Anchor', 'ok', { title: 'Trust anchor: chains may end here' })
    : h('span', { class: 'muted', text: '—', title: 'Path building only' })),
  h('td', { class: 'key-cell' }, keyIndicator(certificate)),
  h('td', { class: 'actions' }, actionsMenu(certificate, reload)));
}

const HEADERS = ['Subject', 'Emails', 'SHA-256', 'Validity · revocation', 'Usage', 'CA', 'Trust anchor', 'Private key', ''];

export function renderCertificates(container) {
  const emailInput = h('input', {
    type: 'search', id: 'certificate-search', name: 'email', placeholder: 'Search by email address…',
    'aria-label': 'Search by email address', spellcheck: 'false',
  });
  const filter = select(FILTERS, { id: 'certificate-filter', 'aria-label': 'Filter' });
  const tableArea = h('div', { id: 'certificate-table', text: 'Loading…', class: 'empty' });
  const countLabel = h('span', { class: 'count' });

  const load = async () => {
    const query = { email: emailInput.value.trim() };
    if (filter.value === 'with-key') query.has_key = 'true';
    if (filter.value === 'ca') query.ca = 'true';
    if (filter.value === 'end-entity') query.ca = 'false';
    try {
      const { certificates = [] } = await requestJson('/api/v1/certificates', { query });
      countLabel.textContent = plural(certificates.length, 'certificate');
      tableArea.className = '';
      replace(tableArea, table(HEADERS, certificates.map((c) => certificateRow(c, load)), {
        id: 'certificates',
        empty: query.email ? `No certificate for ${query.email}.` : 'No certificates yet. Import some on the Import page.',
      }));
    } catch (error) {
      tableArea.className = 'empty';
      tableArea.textContent = 'The certificates could not be loaded.';
      showError(error, 'Could not load the certificates');
    }
  };

  const searchForm = h('form', {
    class: 'filters', role: 'search',
    onsubmit: (event) => {
      event.preventDefault();
      load();
    },
  },
  h('div', { class: 'field wide' }, emailInput),
  h('div', { class: 'field' }, filter),
  h('button', { type: 'submit', class: 'btn', text: 'Search' }),
  h('button', {
    type: 'button', class: 'btn btn-link', text: 'Clear',
    onclick: () => {
      emailInput.value = '';
      filter.value = 'all';
      load();
    },
  }));
  filter.addEventListener('change', load);

  container.append(
    pageHeader('Certificates', 'Organisation certificates with keys in the token, contacts’ certificates and CA certificates.',
      h('a', { class: 'btn btn-primary', href: '#/import', text: 'Import certificates' })),
    h('section', { class: 'card' },
      h('div', { class: 'card-header' }, h('h2', {}, 'Stored certificates', countLabel)),
      h('div', { class: 'card-toolbar' }, searchForm),
      tableArea));
  load();
}
