// The signature layers of an incoming message (an audit entry's `signatures`, outermost first):
// one block per layer with its status and signer, a row per check (integrity, chain,
// revocation, sender, validity, algorithm) with its status, reason, the certificate it failed
// on and where the answer came from, and the layer's warnings. Everything here comes from the
// mail (signer names, subjects) and is set as text only.

import { badge, h, properties } from '../dom.js';
import { formatDate, shortFingerprint } from '../format.js';

const CHECKS = [
  ['integrity', 'Integrity'],
  ['chain', 'Chain'],
  ['revocation', 'Revocation'],
  ['sender_match', 'Sender'],
  ['validity', 'Validity'],
  ['algorithm', 'Algorithm'],
];

const GOOD = new Set(['valid', 'good', 'match', 'ok']);
const DOUBTFUL = new Set(['unknown', 'weak', 'not_checked']);

const WARNINGS = {
  weak_algorithm: 'Weak algorithm (SHA-1)',
  revocation_unknown: 'Revocation status unknown',
  expired_since_signing: 'Expired since the signing time (a time the signer claims)',
};

function statusKind(status) {
  if (GOOD.has(status)) return 'ok';
  if (status === 'not_checked') return 'neutral';
  if (DOUBTFUL.has(status)) return 'warning';
  return 'danger';
}

function text(value) {
  return typeof value === 'string' ? value : '';
}

function checkRow(key, label, check) {
  const status = text(check && check.status) || 'not_checked';
  const lines = [];
  if (text(check && check.reason)) lines.push(h('div', { class: 'check-reason', text: check.reason }));
  if (text(check && check.certificate)) {
    lines.push(h('div', { class: 'check-certificate cell-sub' },
      'Certificate: ', h('span', { class: 'mono break', text: check.certificate })));
  }
  if (text(check && check.source)) {
    lines.push(h('div', { class: 'check-source cell-sub', text: `Source: ${check.source}` }));
  }
  if (text(check && check.name)) {
    lines.push(h('div', { class: 'check-name cell-sub', text: `Algorithm: ${check.name}` }));
  }
  return h('tr', { class: 'check-row', dataset: { check: key, status } },
    h('th', { scope: 'row', class: 'nowrap', text: label }),
    h('td', {}, badge(status.replaceAll('_', ' '), statusKind(status), { class: 'check-status' })),
    h('td', { class: 'cell-lines break' }, lines.length ? lines : h('span', { class: 'muted', text: '—' })));
}

function signerBlock(signer) {
  if (!signer || typeof signer !== 'object') {
    return h('p', { class: 'layer-signer muted', text: 'No signer certificate' });
  }
  const emails = Array.isArray(signer.emails) ? signer.emails.filter((e) => typeof e === 'string') : [];
  const validity = Number.isFinite(signer.not_before) && Number.isFinite(signer.not_after)
    ? `${formatDate(signer.not_before)} – ${formatDate(signer.not_after)}` : '';
  return properties([
    ['Signer', h('span', { class: 'layer-signer break', text: text(signer.subject) })],
    ['Issuer', h('span', { class: 'layer-issuer break', text: text(signer.issuer) })],
    ['Emails', emails.join(', ')],
    ['Valid', validity],
    ['Fingerprint', text(signer.fingerprint)
      ? h('span', { class: 'fingerprint', title: signer.fingerprint, text: shortFingerprint(signer.fingerprint) })
      : ''],
  ]);
}

function warningList(warnings) {
  const codes = Array.isArray(warnings) ? warnings.filter((w) => typeof w === 'string') : [];
  if (codes.length === 0) return null;
  return h('div', { class: 'layer-warnings badges' },
    codes.map((code) => badge(WARNINGS[code] || code, 'warning', { class: 'layer-warning', dataset: { warning: code } })));
}

function layerBlock(layer, index) {
  const status = text(layer.status) || 'invalid';
  const checks = layer.checks && typeof layer.checks === 'object' ? layer.checks : {};
  return h('section', { class: 'signature-layer', dataset: { layer: String(index + 1), status } },
    h('div', { class: 'signature-layer-head' },
      h('h3', { text: `Layer ${index + 1}${text(layer.format) ? ` · ${layer.format}` : ''}` }),
      badge(status.replaceAll('_', ' '), statusKind(status), { class: 'layer-status' })),
    text(layer.reason) ? h('p', { class: 'layer-reason', text: layer.reason }) : null,
    signerBlock(layer.signer),
    h('table', { class: 'checks' },
      h('thead', {}, h('tr', {}, ['Check', 'Status', 'Details'].map((t) => h('th', { scope: 'col', text: t })))),
      h('tbody', {}, CHECKS.map(([key, label]) => checkRow(key, label, checks[key])))),
    warningList(layer.warnings));
}

/** The layers as blocks, outermost first; null when there are none. */
export function signatureLayers(layers) {
  if (!Array.isArray(layers) || layers.length === 0) return null;
  return h('div', { class: 'signature-layers' },
    layers.filter((l) => l && typeof l === 'object').map(layerBlock));
}
