// Import: certificates by file upload or paste (per-certificate results), and one private key
// with its passphrase for a chosen certificate.

import { certificatePath, headerBytes, requestJson } from '../api.js';
import { card, checkbox, field, h, pageHeader, replace } from '../dom.js';
import { commonName, shortFingerprint } from '../format.js';
import { inlineBanner, showError } from '../ui/banners.js';
import { certificateUpload } from '../ui/certificate-upload.js';
import { KEY_FILE_ACCEPT, isPem, readBytes } from '../ui/files.js';

function certificateLabel(c) {
  const email = (c.emails || [])[0];
  return `${commonName(c.subject)}${email && email !== commonName(c.subject) ? ` <${email}>` : ''} · ${shortFingerprint(c.fingerprint)}`;
}

/** The certificates that can take a key: end-entity certificates without one. */
async function fillCertificateChoice(choice, wanted) {
  const { certificates = [] } = await requestJson('/api/v1/certificates', { query: { has_key: 'false', ca: 'false' } });
  replace(choice, h('option', { value: '', text: certificates.length ? 'Choose a certificate…' : 'No certificate without a key' }));
  for (const c of certificates) choice.append(h('option', { value: c.fingerprint, text: certificateLabel(c) }));
  if (wanted && certificates.some((c) => c.fingerprint === wanted)) choice.value = wanted;
}

function privateKeyForm(wanted) {
  const choice = h('select', { id: 'key-certificate', required: true }, h('option', { value: '', text: 'Loading…' }));
  const fileInput = h('input', { type: 'file', id: 'key-file', accept: KEY_FILE_ACCEPT });
  const paste = h('textarea', {
    id: 'key-paste', spellcheck: 'false',
    placeholder: '-----BEGIN ENCRYPTED PRIVATE KEY-----\n…\n-----END ENCRYPTED PRIVATE KEY-----',
  });
  const passphrase = h('input', { type: 'password', id: 'key-passphrase', autocomplete: 'off' });
  const exportable = checkbox('Exportable: allow downloading this key later (encrypted under a passphrase)', { id: 'key-exportable' });
  const status = h('div', { id: 'key-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'key-submit', text: 'Import private key' });

  const reload = () => fillCertificateChoice(choice, wanted).catch((error) => showError(error, 'Could not list the certificates'));
  reload();

  const send = async () => {
    const fingerprint = choice.value;
    if (!fingerprint) throw new Error('Choose the certificate this key belongs to.');
    const path = certificatePath(fingerprint, '/private-key');
    const file = fileInput.files[0];
    let bytes = null;
    let text = paste.value.trim();
    if (file) {
      bytes = await readBytes(file);
      text = isPem(bytes) ? new TextDecoder().decode(bytes) : '';
    }
    if (text) {
      const json = { key: text, exportable: exportable.input.checked };
      if (passphrase.value) json.passphrase = passphrase.value;
      return requestJson(path, { method: 'POST', json });
    }
    if (!bytes) throw new Error('Choose a key file or paste the PEM key first.');
    const headers = passphrase.value ? { 'X-Passphrase': headerBytes(passphrase.value) } : {};
    return requestJson(path, {
      method: 'POST', body: bytes, contentType: 'application/pkcs8', headers,
      query: { exportable: exportable.input.checked ? 'true' : 'false' },
    });
  };

  const form = h('form', {
    id: 'key-form', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      replace(status);
      submit.disabled = true;
      try {
        const answer = await send();
        const label = choice.selectedOptions[0] ? choice.selectedOptions[0].textContent : '';
        replace(status, inlineBanner('success',
          `The private key is in the token (key id ${answer.token_key_id}, ${answer.exportable ? 'exportable' : 'not extractable'}) for ${label}.`));
        fileInput.value = '';
        paste.value = '';
        passphrase.value = '';
        exportable.input.checked = false;
        reload();
      } catch (error) {
        replace(status, inlineBanner('error', error.message));
      } finally {
        submit.disabled = false;
      }
    },
  },
  field('Certificate', choice, 'The key must match the public key of this certificate.'),
  field('Key file', fileInput, 'PEM or DER: PKCS#1, PKCS#8, SEC1 or encrypted PKCS#8.'),
  h('div', { class: 'or-divider', text: 'or paste' }),
  field('PEM key', paste),
  field('Passphrase', passphrase, 'Only for an encrypted key.'),
  exportable.element,
  status,
  h('div', { class: 'form-actions' }, submit));
  return form;
}

export function renderImport(container, params) {
  const wanted = params.get('fingerprint') || '';
  let keyCard;
  const upload = certificateUpload({
    idPrefix: 'cert-import',
    submitLabel: 'Import certificates',
    onDone: () => {
      // New certificates may now take a key.
      const replacement = privateKeyCard();
      keyCard.replaceWith(replacement);
      keyCard = replacement;
    },
  });
  const privateKeyCard = () => card({
    id: 'private-key-card',
    title: 'Import a private key',
    description: 'One key per import, stored in the token as sensitive and non-extractable unless marked exportable.',
  }, privateKeyForm(wanted));
  keyCard = privateKeyCard();
  container.append(
    pageHeader('Import', 'Add contacts’, organisation and CA certificates, and private keys for your own certificates.'),
    h('div', { class: 'grid-2' },
      card({
        id: 'certificate-import-card',
        title: 'Import certificates',
        description: 'A bundle imports every valid certificate and reports each failure separately.',
      }, upload.form),
      keyCard),
    h('div', { class: 'stack' },
      card({ id: 'import-results-card', title: 'Import results' }, upload.results)));
  if (wanted) keyCard.scrollIntoView();
}
