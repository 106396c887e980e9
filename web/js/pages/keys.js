// Keys: the keys in the token, generating a key pair in the token with a CSR (or a
// self-signed certificate), downloading the CSR, and installing the issued certificate.

import { certificatePath, request, requestJson } from '../api.js';
import { badge, card, field, h, pageHeader, replace, select, table } from '../dom.js';
import { commonName, keyDescription, plural } from '../format.js';
import { inlineBanner, showError, showSuccess } from '../ui/banners.js';
import { certificateUpload } from '../ui/certificate-upload.js';
import { confirmDialog } from '../ui/dialogs.js';
import { saveText } from '../ui/download.js';

const ALGORITHMS = [
  ['ec-p256', 'EC P-256'],
  ['ec-p384', 'EC P-384'],
  ['rsa-2048', 'RSA 2048'],
  ['rsa-3072', 'RSA 3072'],
  ['rsa-4096', 'RSA 4096 (slow)'],
];

// smimed's TLS key lives in the token under this label (smime.toml [server] tls_key_label).
const TLS_KEY_LABEL = 'smimed-tls';

function splitEmails(text) {
  return text.split(/[\s,;]+/).map((e) => e.trim()).filter(Boolean);
}

function fileStem(label) {
  return (label || 'key').replace(/[^A-Za-z0-9._@-]+/g, '_').slice(0, 64) || 'key';
}

function certificateCell(key, owners) {
  if (owners.length) {
    return h('td', {}, owners.map((c) => h('div', {},
      h('div', { class: 'cell-title', text: commonName(c.subject) }),
      h('div', { class: 'cell-sub', text: (c.emails || []).join(', ') }))));
  }
  if (key.label === TLS_KEY_LABEL) return h('td', {}, h('span', { class: 'muted', text: 'smimed’s own TLS certificate' }));
  return h('td', {}, key.has_certificate
    ? h('span', { class: 'muted', text: 'Certificate object in the token only' })
    : badge('No certificate yet', 'warning', { title: 'Install the issued certificate below' }));
}

function protectionCell(key) {
  return h('td', {}, h('div', { class: 'badges' },
    key.sensitive ? badge('Sensitive', 'ok') : badge('Not sensitive', 'warning'),
    key.extractable ? badge('Extractable', 'warning') : badge('Not extractable', 'ok'),
    key.has_public_key ? null : badge('No public key object', 'warning')));
}

async function deleteKey(key, reload) {
  const done = await confirmDialog({
    id: 'delete-key-dialog',
    title: 'Delete key from the token',
    message: `Delete the key “${key.label || key.id}” (id ${key.id}) with its public key and certificate objects? `
      + 'Mail encrypted to it can no longer be decrypted. Keys used by a stored certificate are refused; delete the certificate with its key instead.',
    confirmLabel: 'Delete key',
    danger: true,
    onConfirm: () => request(`/api/v1/keys/${encodeURIComponent(key.id)}`, { method: 'DELETE' }),
  });
  if (done) {
    showSuccess(`Deleted the key ${key.label || key.id}.`);
    reload();
  }
}

function keyRow(key, owners, reload) {
  return h('tr', { class: 'key-row', dataset: { keyId: key.id } },
    h('td', {}, h('div', { class: 'cell-title', text: key.label || '(no label)' })),
    h('td', {}, h('span', { class: 'fingerprint', title: key.uri || key.id, text: key.id })),
    h('td', { class: 'nowrap', text: keyDescription(key.type, key.bits, key.curve) }),
    certificateCell(key, owners),
    protectionCell(key),
    h('td', { class: 'actions' }, key.label === TLS_KEY_LABEL
      ? h('button', {
        type: 'button', class: 'btn btn-small', text: 'Delete…', disabled: true,
        title: 'The key of smimed’s own TLS certificate: deleting it would cut every connection',
      })
      : h('button', {
        type: 'button', class: 'btn btn-small', text: 'Delete…', onclick: () => deleteKey(key, reload),
      })));
}

function generatedResult(answer, label, output) {
  const csr = answer.csr_pem || '';
  return h('div', { id: 'generated-key' },
    inlineBanner('success', `Generated ${keyDescription(answer.key.type, answer.key.bits, answer.key.curve)} key “${answer.key.label}” in the token (id ${answer.key.id}).`),
    csr ? h('div', { class: 'stack' },
      field('Certificate signing request', h('textarea', { id: 'generated-csr', class: 'pem-output', readOnly: true, value: csr, spellcheck: 'false' }),
        'Send it to your CA, then install the certificate it issues with “Install the issued certificate”: it is linked to this key automatically.'),
      h('div', { class: 'form-actions' },
        h('button', {
          type: 'button', id: 'download-csr', class: 'btn btn-primary', text: 'Download CSR',
          onclick: () => saveText(csr, `${fileStem(label)}.csr.pem`, 'application/pkcs10'),
        }))) : null,
    answer.certificate_pem ? h('div', { class: 'stack' },
      field('Self-signed certificate', h('textarea', { class: 'pem-output', readOnly: true, value: answer.certificate_pem })),
      h('div', { class: 'form-actions' },
        h('button', {
          type: 'button', class: 'btn', text: 'Download certificate',
          onclick: () => saveText(answer.certificate_pem, `${fileStem(label)}.pem`),
        }))) : null,
    !csr && !answer.certificate_pem && output !== 'none' ? h('p', { class: 'muted', text: 'No CSR was requested.' }) : null);
}

function generateForm(onGenerated) {
  const algorithm = select(ALGORITHMS, { id: 'gen-algorithm' });
  const label = h('input', { type: 'text', id: 'gen-label', required: true, placeholder: 'support-2025' });
  const emails = h('input', { type: 'text', id: 'gen-emails', placeholder: 'support@example.org', spellcheck: 'false' });
  const subject = h('input', { type: 'text', id: 'gen-subject', placeholder: 'CN=Support,O=Example (default CN=<first email>)', spellcheck: 'false' });
  const output = select([['csr', 'A CSR for a CA'], ['self-signed', 'A self-signed certificate'], ['both', 'Both'], ['none', 'Only the key']], { id: 'gen-output' });
  const days = h('input', { type: 'number', id: 'gen-days', min: '1', max: '3650', value: '365' });
  const status = h('div', { id: 'gen-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'gen-submit', text: 'Generate key' });
  const selfSigned = () => output.value === 'self-signed' || output.value === 'both';
  const daysField = field('Validity (days)', days);
  const syncDays = () => { daysField.hidden = !selfSigned(); };
  output.addEventListener('change', syncDays);
  syncDays();

  const form = h('form', {
    id: 'generate-form', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      replace(status);
      const body = { algorithm: algorithm.value, label: label.value.trim(), emails: splitEmails(emails.value) };
      if (!body.label) {
        replace(status, inlineBanner('error', 'Give the key a label.'));
        return;
      }
      if (subject.value.trim()) body.subject = subject.value.trim();
      body.csr = output.value === 'csr' || output.value === 'both';
      body.self_signed = selfSigned();
      if (body.self_signed) body.days = Number(days.value);
      submit.disabled = true;
      submit.textContent = 'Generating in the token…';
      try {
        const answer = await requestJson('/api/v1/keys', { method: 'POST', json: body });
        replace(status, generatedResult(answer, body.label, output.value));
        onGenerated(answer);
      } catch (error) {
        replace(status, inlineBanner('error', error.message));
      } finally {
        submit.disabled = false;
        submit.textContent = 'Generate key';
      }
    },
  },
  h('div', { class: 'field-row' }, field('Algorithm', algorithm), field('Label', label)),
  field('Email addresses', emails, 'Separated by commas or spaces; needed for a CSR or certificate.'),
  field('Subject', subject),
  h('div', { class: 'field-row' }, field('Produce', output), daysField),
  h('div', { class: 'form-actions' }, submit),
  status);
  return form;
}

export function renderKeys(container) {
  const listArea = h('div', { id: 'key-table', class: 'empty', text: 'Loading…' });
  const countLabel = h('span', { class: 'count' });
  const load = async () => {
    try {
      const [{ keys = [] }, { certificates = [] }] = await Promise.all([
        requestJson('/api/v1/keys'),
        requestJson('/api/v1/certificates', { query: { has_key: 'true' } }),
      ]);
      countLabel.textContent = plural(keys.length, 'key');
      listArea.className = '';
      replace(listArea, table(['Label', 'Key id (CKA_ID)', 'Type', 'Certificate', 'Protection', ''],
        keys.map((k) => keyRow(k, certificates.filter((c) => c.token_key_id === k.id), load)),
        { id: 'keys', empty: 'The token holds no keys yet.' }));
    } catch (error) {
      listArea.className = 'empty';
      listArea.textContent = 'The keys could not be listed.';
      showError(error, 'Could not list the keys');
    }
  };

  const install = certificateUpload({
    idPrefix: 'install',
    pkcs12: false,
    submitLabel: 'Install certificate',
    onDone: async (report) => {
      load();
      const linked = report.imported.filter((i) => !i.is_ca);
      for (const item of linked) {
        try {
          const c = await requestJson(certificatePath(item.fingerprint));
          if (c.has_private_key) showSuccess(`Installed “${commonName(c.subject)}”: linked to key ${c.token_key_id} in the token.`);
          else showError(new Error(`“${commonName(c.subject)}” was imported but matches no key in the token.`), 'Not linked');
        } catch (error) {
          showError(error);
        }
      }
    },
  });

  container.append(
    pageHeader('Keys', 'Private keys held in the PKCS#11 token. Keys generated here never leave it.'),
    h('section', { class: 'card' },
      h('div', { class: 'card-header' }, h('h2', {}, 'Keys in the token', countLabel)),
      listArea),
    h('div', { class: 'grid-2' },
      card({ id: 'generate-card', title: 'Generate a key in the token', description: 'Key pair generation happens inside the token; you get a CSR signed by the new key.' },
        generateForm(() => load())),
      card({ id: 'install-card', title: 'Install the issued certificate', description: 'Upload or paste the certificate your CA issued for a key generated here.' },
        install.form)),
    h('div', { class: 'stack' },
      card({ id: 'install-results-card', title: 'Installed certificates' }, install.results)));
  load();
}


