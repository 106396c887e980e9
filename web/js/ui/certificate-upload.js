// A form that uploads certificates (file or pasted PEM) to POST /api/v1/certificates and shows
// the per-certificate results. Used by the Import page and by "install the issued certificate"
// on the Keys page.

import { headerBytes, requestJson } from '../api.js';
import { checkbox, field, h, replace, select } from '../dom.js';
import { inlineBanner } from './banners.js';
import { CERTIFICATE_FILE_ACCEPT, certificateMediaType, readBytes } from './files.js';
import { importResults, reportFromError } from './import-results.js';

const FORMATS = [
  ['auto', 'Detect automatically'],
  ['pem', 'PEM bundle'],
  ['der', 'DER certificate'],
  ['pkcs7', 'PKCS#7 certificates (.p7b / .p7c)'],
  ['pkcs12', 'PKCS#12 (.p12 / .pfx) with its key'],
];

/**
 * options: idPrefix (element ids), pkcs12 (show the format, passphrase and exportable
 * fields), submitLabel, onDone(report) after an import that stored something.
 * Returns {form, results}.
 */
export function certificateUpload({ idPrefix, pkcs12 = true, submitLabel = 'Import', onDone = () => {} }) {
  const fileInput = h('input', { type: 'file', id: `${idPrefix}-file`, accept: CERTIFICATE_FILE_ACCEPT });
  const format = select(FORMATS, { id: `${idPrefix}-format` });
  const passphrase = h('input', { type: 'password', id: `${idPrefix}-passphrase`, autocomplete: 'off' });
  const exportable = checkbox('Allow the PKCS#12 key to be exported later (otherwise it never leaves the token)', { id: `${idPrefix}-exportable` });
  const paste = h('textarea', {
    id: `${idPrefix}-paste`, spellcheck: 'false',
    placeholder: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----',
  });
  const status = h('div', { class: 'form-status' });
  const results = h('div', { id: `${idPrefix}-results`, class: 'results-area' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: `${idPrefix}-submit`, text: submitLabel });

  const body = async () => {
    const file = fileInput.files[0];
    if (file) {
      const bytes = await readBytes(file);
      return { body: bytes, contentType: certificateMediaType(file, bytes, pkcs12 ? format.value : 'auto'), name: file.name };
    }
    const text = paste.value.trim();
    if (text) return { body: `${text}\n`, contentType: 'application/x-pem-file', name: 'the pasted text' };
    throw new Error('Choose a file or paste PEM text first.');
  };

  const form = h('form', {
    id: `${idPrefix}-form`, novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      replace(status);
      replace(results);
      submit.disabled = true;
      try {
        const input = await body();
        const headers = {};
        if (pkcs12 && passphrase.value) headers['X-Passphrase'] = headerBytes(passphrase.value);
        let report;
        try {
          report = await requestJson('/api/v1/certificates', {
            method: 'POST', body: input.body, contentType: input.contentType, headers,
            query: pkcs12 && exportable.input.checked ? { exportable: 'true' } : {},
          });
        } catch (error) {
          const failed = reportFromError(error);
          replace(status, inlineBanner('error', `Nothing was imported from ${input.name}: ${error.message}`));
          if (failed) replace(results, importResults(failed));
          return;
        }
        const stored = report.imported.length;
        replace(status, inlineBanner(report.errors.length ? 'info' : 'success',
          `Imported ${stored} of ${stored + report.errors.length} item${stored + report.errors.length === 1 ? '' : 's'} from ${input.name}.`));
        replace(results, importResults(report));
        fileInput.value = '';
        paste.value = '';
        passphrase.value = '';
        onDone(report);
      } catch (error) {
        replace(status, inlineBanner('error', error.message));
      } finally {
        submit.disabled = false;
      }
    },
  },
  field('Certificate file', fileInput, pkcs12
    ? 'PEM bundle (also TRUSTED CERTIFICATE), DER, PKCS#7 certs-only or PKCS#12.'
    : 'The issued certificate as PEM or DER (a chain in one PEM file is fine).'),
  pkcs12 ? h('div', { class: 'field-row' },
    field('Format', format),
    field('PKCS#12 passphrase', passphrase)) : null,
  pkcs12 ? exportable.element : null,
  h('div', { class: 'or-divider', text: 'or paste' }),
  field('PEM text', paste),
  status,
  h('div', { class: 'form-actions' }, submit));
  return { form, results };
}
