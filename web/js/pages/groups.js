// Groups: a sender address and its default behaviour for outgoing mail (sign and encrypt,
// sign, encrypt, none), and its own verification policy for incoming mail to it (unknown
// revocation status soft or hard, SHA-1 weak or rejected; or the appliance's setting).
// Create, change and delete.

import { request, requestJson } from '../api.js';
import { badge, field, h, pageHeader, replace, select, table } from '../dom.js';
import {
  BEHAVIOURS, REVOCATION_POLICIES, SHA1_POLICIES, behaviourLabel, formatDate, groupPolicyLabel, plural,
} from '../format.js';
import { inlineBanner, showError, showSuccess } from '../ui/banners.js';
import { confirmDialog } from '../ui/dialogs.js';

const BEHAVIOUR_KIND = { 'sign-encrypt': 'ok', sign: 'info', encrypt: 'info', none: 'neutral' };

const groupPath = (name) => `/api/v1/groups/${encodeURIComponent(name)}`;

export function renderGroups(container) {
  const listArea = h('div', { id: 'group-table', class: 'empty', text: 'Loading…' });
  const countLabel = h('span', { class: 'count' });
  const name = h('input', { type: 'text', id: 'group-name', required: true, placeholder: 'support', spellcheck: 'false' });
  const email = h('input', { type: 'email', id: 'group-email', required: true, placeholder: 'support@example.org', spellcheck: 'false' });
  const behaviour = select(BEHAVIOURS, { id: 'group-default' });
  const revocation = select(REVOCATION_POLICIES, { id: 'group-revocation' });
  const rejectSha1 = select(SHA1_POLICIES, { id: 'group-reject-sha1' });
  const status = h('div', { id: 'group-status' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'group-submit', text: 'Save group' });
  const cancelEdit = h('button', { type: 'button', class: 'btn', text: 'New group', hidden: true });
  const formTitle = h('h2', { text: 'New group' });

  const startNew = () => {
    name.value = '';
    name.readOnly = false;
    email.value = '';
    behaviour.value = 'sign-encrypt';
    revocation.value = '';
    rejectSha1.value = '';
    formTitle.textContent = 'New group';
    cancelEdit.hidden = true;
    replace(status);
  };
  const startEdit = (group) => {
    name.value = group.name;
    name.readOnly = true;
    email.value = group.email;
    behaviour.value = group.default;
    revocation.value = group.revocation ?? '';
    rejectSha1.value = group.reject_sha1 === null || group.reject_sha1 === undefined ? '' : String(group.reject_sha1);
    formTitle.textContent = `Change group “${group.name}”`;
    cancelEdit.hidden = false;
    replace(status);
    email.focus();
  };
  cancelEdit.addEventListener('click', startNew);

  const load = async () => {
    try {
      const { groups = [] } = await requestJson('/api/v1/groups');
      countLabel.textContent = plural(groups.length, 'group');
      listArea.className = '';
      replace(listArea, table(['Name', 'Email address', 'Default behaviour', 'Updated', ''],
        groups.map((g) => h('tr', { class: 'group-row', dataset: { group: g.name } },
          h('td', { class: 'cell-title', text: g.name }),
          h('td', { class: 'break', text: g.email }),
          h('td', {},
            badge(behaviourLabel(g.default), BEHAVIOUR_KIND[g.default] || 'neutral', { class: 'group-default', dataset: { value: g.default } }),
            h('div', {
              class: 'muted small group-policy',
              title: 'The verification policy of incoming mail to this address',
              text: `Incoming: ${groupPolicyLabel(g)}`,
              dataset: { revocation: g.revocation ?? '', rejectSha1: g.reject_sha1 === null || g.reject_sha1 === undefined ? '' : String(g.reject_sha1) },
            })),
          h('td', { class: 'muted small', text: formatDate(g.updated_at) }),
          h('td', { class: 'actions' },
            h('button', { type: 'button', class: 'btn btn-small', text: 'Edit', onclick: () => startEdit(g) }), ' ',
            h('button', { type: 'button', class: 'btn btn-small', text: 'Delete…', onclick: () => remove(g) })))),
        { id: 'groups', empty: 'No groups yet. Outgoing mail without a group uses the request’s sign/encrypt choice.' }));
    } catch (error) {
      listArea.className = 'empty';
      listArea.textContent = 'The groups could not be loaded.';
      showError(error, 'Could not load the groups');
    }
  };

  const remove = async (group) => {
    const done = await confirmDialog({
      id: 'delete-group-dialog',
      title: 'Delete group',
      message: `Delete the group “${group.name}” (${group.email})? Outgoing mail for it then needs explicit sign/encrypt choices.`,
      confirmLabel: 'Delete group',
      danger: true,
      onConfirm: () => request(groupPath(group.name), { method: 'DELETE' }),
    });
    if (done) {
      showSuccess(`Deleted the group ${group.name}.`);
      if (name.value === group.name) startNew();
      load();
    }
  };

  const form = h('form', {
    id: 'group-form', novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      replace(status);
      if (!name.value.trim() || !email.value.trim()) {
        replace(status, inlineBanner('error', 'A group needs a name and an email address.'));
        return;
      }
      submit.disabled = true;
      try {
        const saved = await requestJson(groupPath(name.value.trim()), {
          method: 'PUT',
          json: {
            email: email.value.trim(),
            default: behaviour.value,
            revocation: revocation.value || null,
            reject_sha1: rejectSha1.value === '' ? null : rejectSha1.value === 'true',
          },
        });
        showSuccess(`Saved the group ${saved.name}: ${saved.email}, ${behaviourLabel(saved.default).toLowerCase()}.`);
        startNew();
        load();
      } catch (error) {
        replace(status, inlineBanner('error', error.message));
      } finally {
        submit.disabled = false;
      }
    },
  },
  field('Name', name, 'Used as ?group= in outgoing requests.'),
  field('Email address', email, 'The sender address; its certificate and token key sign the mail.'),
  field('Default behaviour', behaviour, 'Applies when a request leaves sign and encrypt open.'),
  field('Unknown revocation status', revocation, 'For incoming mail to this address: hard makes a signature whose revocation status is unknown invalid.'),
  field('SHA-1 signatures', rejectSha1, 'For incoming mail to this address: rejected makes SHA-1 signatures invalid.'),
  status,
  h('div', { class: 'form-actions' }, submit, cancelEdit));

  container.append(
    pageHeader('Groups', 'Sender addresses, what outgoing mail for them gets by default, and the verification policy of incoming mail to them.'),
    h('div', { class: 'grid-main-side' },
      h('section', { class: 'card' },
        h('div', { class: 'card-header' }, h('h2', {}, 'Groups', countLabel)),
        listArea),
      h('section', { class: 'card', id: 'group-form-card' },
        h('div', { class: 'card-header' }, formTitle),
        h('div', { class: 'card-body' }, form))));
  load();
}


