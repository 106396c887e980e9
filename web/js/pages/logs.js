// Recent logs: audit entries newest first, filtered by direction, operation, status and
// address; a row expands to the details of a failure (detail, needs) and, for incoming
// messages, each signature layer with its checks; failures that the appliance could now
// handle (the missing certificate or key was imported) are marked.

import { requestJson } from '../api.js';
import { badge, h, pageHeader, properties, replace, select, table } from '../dom.js';
import { formatMillis, plural } from '../format.js';
import { showError } from '../ui/banners.js';
import { signatureLayers } from '../ui/signature-layers.js';

const PAGE_SIZE = 50;

const OPERATIONS = [
  'message.outgoing', 'message.sign', 'message.encrypt', 'message.incoming', 'message.decrypt',
  'message.verify', 'certificate.import', 'certificate.harvest', 'certificate.capabilities',
  'certificate.trust', 'certificate.delete', 'key.generate', 'key.import', 'key.export',
  'key.delete', 'group.set', 'group.delete', 'crl.import', 'apitoken.create', 'apitoken.revoke',
];

const DIRECTION_KIND = { incoming: 'info', outgoing: 'info', admin: 'neutral' };

function statusCell(entry) {
  return h('td', { class: 'status-cell' }, h('div', { class: 'badges' },
    entry.status === 'ok' ? badge('OK', 'ok') : badge('Failed', 'danger'),
    entry.retryable ? badge('Retryable now', 'retry', {
      class: 'retryable-mark',
      title: 'What this message needed is now in the store: submitting it again should succeed',
    }) : null));
}

function list(values, mono = false) {
  if (!values || values.length === 0) return '';
  return h('ul', { class: 'list-plain' }, values.map((v) => h('li', { class: mono ? 'mono break' : 'break', text: v })));
}

function detailRow(entry, columns) {
  return h('tr', { class: 'log-detail', hidden: true, dataset: { entryId: entry.id } },
    h('td', { colspan: String(columns) }, signatureLayers(entry.signatures), properties([
      ['Detail', h('span', { class: 'log-detail-text', text: entry.detail || '' })],
      ['Needs', entry.needs && entry.needs.length
        ? h('div', {}, list(entry.needs, true), entry.retryable
          ? h('p', { class: 'small', text: 'Everything it needs is now available: resubmit the message.' }) : null)
        : ''],
      ['Addresses', list(entry.addresses)],
      ['Certificates', list(entry.fingerprints, true)],
      ['Message-ID', entry.message_id],
      ['Actor', /^\d+$/.test(entry.actor || '') ? `API token #${entry.actor}` : entry.actor],
      ['Time', `${entry.time || formatMillis(entry.at_ms, true)}`],
      ['Entry', `#${entry.id}`],
      ['Hash', h('span', { class: 'mono break', text: entry.hash || '' })],
    ])));
}

function entryRows(entry, columns) {
  const detail = detailRow(entry, columns);
  const toggle = h('button', {
    type: 'button', class: 'btn btn-small log-toggle', 'aria-expanded': 'false', text: 'Details',
    onclick: () => {
      detail.hidden = !detail.hidden;
      toggle.setAttribute('aria-expanded', String(!detail.hidden));
      toggle.textContent = detail.hidden ? 'Details' : 'Hide';
    },
  });
  const row = h('tr', {
    class: ['log-row', entry.status === 'failed' ? 'row-failed' : null, entry.retryable ? 'row-retryable' : null],
    dataset: { entryId: entry.id, status: entry.status, operation: entry.operation },
  },
  h('td', { class: 'nowrap small', text: formatMillis(entry.at_ms, true) }),
  h('td', {}, badge(entry.direction, DIRECTION_KIND[entry.direction] || 'neutral')),
  h('td', { class: 'mono nowrap', text: entry.operation }),
  statusCell(entry),
  h('td', { class: 'small addresses' }, list(entry.addresses) || h('span', { class: 'muted', text: '—' })),
  h('td', { class: 'small log-summary break', text: entry.detail || '' }),
  h('td', { class: 'actions' }, toggle));
  return [row, detail];
}

const HEADERS = ['Time (UTC)', 'Direction', 'Operation', 'Status', 'Addresses', 'Detail', ''];

export function renderLogs(container) {
  const direction = select([['', 'Any direction'], ['incoming', 'Incoming'], ['outgoing', 'Outgoing'], ['admin', 'Administration']], { id: 'log-direction' });
  const operationList = h('datalist', { id: 'log-operations' }, OPERATIONS.map((o) => h('option', { value: o })));
  const operation = h('input', { type: 'text', id: 'log-operation', list: 'log-operations', placeholder: 'e.g. message.decrypt', spellcheck: 'false' });
  const status = select([['', 'Any status'], ['ok', 'OK'], ['failed', 'Failed']], { id: 'log-status' });
  const address = h('input', { type: 'text', id: 'log-address', placeholder: 'alice@example.com', spellcheck: 'false' });
  const retryable = h('input', { type: 'checkbox', id: 'log-retryable' });
  const tableArea = h('div', { id: 'log-table', class: 'empty', text: 'Loading…' });
  const countLabel = h('span', { class: 'count' });
  const more = h('button', { type: 'button', class: 'btn', id: 'log-more', text: 'Show older entries' });
  const moreBar = h('div', { class: 'card-body', hidden: true }, more);
  let offset = 0;
  let rows = [];

  const query = () => ({
    direction: direction.value, operation: operation.value.trim(), status: status.value,
    address: address.value.trim(), retryable: retryable.checked ? 'true' : '', limit: PAGE_SIZE, offset,
  });

  const load = async (append = false) => {
    if (!append) {
      offset = 0;
      rows = [];
    }
    try {
      const answer = await requestJson('/api/v1/logs', { query: query() });
      const entries = answer.entries || [];
      offset += entries.length;
      rows = rows.concat(entries.flatMap((e) => entryRows(e, HEADERS.length)));
      const total = typeof answer.total === 'number' ? answer.total : offset;
      countLabel.textContent = retryable.checked ? plural(offset, 'entry', 'entries') : `${offset} of ${plural(total, 'entry', 'entries')}`;
      moreBar.hidden = entries.length < PAGE_SIZE;
      tableArea.className = '';
      replace(tableArea, table(HEADERS, rows, { id: 'logs', empty: 'No log entries match these filters.' }));
    } catch (error) {
      tableArea.className = 'empty';
      tableArea.textContent = 'The log could not be loaded.';
      showError(error, 'Could not load the log');
    }
  };
  more.addEventListener('click', () => load(true));

  const filters = h('form', {
    class: 'filters', id: 'log-filters', role: 'search',
    onsubmit: (event) => {
      event.preventDefault();
      load();
    },
  },
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'Direction' }), direction),
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'Operation' }), operation, operationList),
  h('label', { class: 'field' }, h('span', { class: 'field-label', text: 'Status' }), status),
  h('label', { class: 'field wide' }, h('span', { class: 'field-label', text: 'Address' }), address),
  h('label', { class: 'check' }, retryable, h('span', { text: 'Retryable now only' })),
  h('button', { type: 'submit', class: 'btn btn-primary', id: 'log-apply', text: 'Apply' }),
  h('button', {
    type: 'button', class: 'btn btn-link', text: 'Reset',
    onclick: () => {
      direction.value = '';
      operation.value = '';
      status.value = '';
      address.value = '';
      retryable.checked = false;
      load();
    },
  }));
  for (const control of [direction, status, retryable]) control.addEventListener('change', () => load());

  container.append(
    pageHeader('Recent logs', 'Every S/MIME operation and administrative change, newest first. Entries are hash-chained (smimectl log verify).',
      h('button', { type: 'button', class: 'btn', text: 'Refresh', onclick: () => load() })),
    h('section', { class: 'card' },
      h('div', { class: 'card-body' }, filters)),
    h('section', { class: 'card' },
      h('div', { class: 'card-header' }, h('h2', {}, 'Entries', countLabel)),
      tableArea,
      moreBar));
  load();
}
