// Per-certificate results of a certificate import: imported, duplicate, rejected (with the
// rule that failed), not a certificate, key not stored.

import { badge, h, table } from '../dom.js';
import { commonName, plural, shortFingerprint } from '../format.js';

const KINDS = {
  duplicate: ['Duplicate', 'warning'],
  rule: ['Rejected', 'danger'],
  invalid: ['Not a certificate', 'danger'],
  key: ['Key not stored', 'danger'],
};

function fingerprintCell(fingerprint) {
  return h('td', {}, fingerprint
    ? h('span', { class: 'fingerprint', title: fingerprint, text: shortFingerprint(fingerprint) })
    : h('span', { class: 'muted', text: '—' }));
}

function subjectCell(subject, item) {
  return h('td', {},
    h('div', { class: 'cell-title', text: subject ? commonName(subject) : item || '—' }),
    subject ? h('div', { class: 'cell-sub', text: subject }) : null);
}

function importedRow(entry, present = false) {
  const stored = present ? 'Already in the store' : 'Stored';
  return h('tr', { class: ['result-row', present ? 'result-present' : 'result-imported'], dataset: { fingerprint: entry.fingerprint } },
    h('td', {}, h('div', { class: 'badges' },
      present ? badge('Present', 'neutral') : badge('Imported', 'ok'),
      entry.is_ca ? badge('CA', 'info') : null,
      entry.legacy ? badge('Legacy', 'warning', { class: 'legacy-badge', title: entry.relaxed || '' }) : null,
      entry.key_imported ? badge('Key stored in token', 'key') : null)),
    subjectCell(entry.subject),
    h('td', { class: 'break', text: (entry.emails || []).join(', ') || '—' }),
    fingerprintCell(entry.fingerprint),
    h('td', {},
      h('div', { class: 'muted', text: stored }),
      entry.relaxed ? h('div', { class: 'relaxed', text: entry.relaxed }) : null));
}

function failureRow(failure) {
  const [label, kind] = KINDS[failure.kind] || ['Failed', 'danger'];
  return h('tr', { class: ['result-row', `result-${failure.kind || 'failed'}`], dataset: { fingerprint: failure.fingerprint || '' } },
    h('td', {}, badge(label, kind)),
    subjectCell(failure.subject, failure.item),
    h('td', { class: 'muted', text: failure.item || '—' }),
    fingerprintCell(failure.fingerprint),
    h('td', { class: 'result-message' },
      failure.rule ? h('div', { class: 'rule' }, 'Rule: ', h('span', { class: 'rule-name', text: failure.rule })) : null,
      h('div', { text: failure.message || '' })));
}

// Rows in the order of the input ("certificate 3" is the third); other items (a private key,
// an unreadable block) after them, as the server listed them.
function inputOrder(row) {
  const match = /^certificate (\d+)$/.exec(row.entry.item || '');
  return match ? Number(match[1]) : Number.MAX_SAFE_INTEGER;
}

/** The results of an import answer (report = {imported, errors}) as a summary and a table. */
export function importResults(report) {
  const imported = report.imported || [];
  const errors = report.errors || [];
  const present = report.present || [];
  const count = (kind) => errors.filter((e) => e.kind === kind).length;
  const summary = h('div', { class: 'results-summary' },
    badge(`${plural(imported.length, 'certificate')} imported`, imported.length ? 'ok' : 'neutral'),
    present.length ? badge(`${present.length} already present`, 'neutral') : null,
    count('duplicate') ? badge(`${count('duplicate')} duplicate`, 'warning') : null,
    count('rule') ? badge(`${count('rule')} rejected`, 'danger') : null,
    count('invalid') ? badge(`${count('invalid')} not readable`, 'danger') : null,
    count('key') ? badge('key not stored', 'danger') : null);
  return h('div', { class: 'import-results' }, summary,
    table(['Result', 'Subject', 'Emails / item', 'SHA-256 fingerprint', 'Details'],
      [...imported.map((entry) => ({ entry, row: importedRow(entry) })),
        ...present.map((entry) => ({ entry, row: importedRow(entry, true) })),
        ...errors.map((entry) => ({ entry, row: failureRow(entry) }))]
        .map((row, index) => ({ ...row, index }))
        .sort((a, b) => inputOrder(a) - inputOrder(b) || a.index - b.index)
        .map(({ row }) => row),
      { className: 'results-table', empty: 'The input held nothing to import.' }));
}

/** The report carried by a failed import (400/409/422 with details), or null. */
export function reportFromError(error) {
  return error && error.details && error.details.length ? { imported: [], present: [], errors: error.details } : null;
}
