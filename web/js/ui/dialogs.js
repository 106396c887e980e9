// Modal dialogs built on <dialog>: confirmations, passphrase prompts, details. A failing
// action shows the server's message inside the dialog and keeps it open.

import { checkbox, field, h, replace } from '../dom.js';
import { inlineBanner } from './banners.js';

/**
 * Opens a dialog. body: nodes; onConfirm(): may be async, its result resolves the promise
 * (a thrown error is shown and the dialog stays open). Resolves null when cancelled.
 */
export function openDialog({
  title, body = [], confirmLabel = 'OK', cancelLabel = 'Cancel', danger = false, wide = false,
  onConfirm = () => true, id,
}) {
  return new Promise((resolve) => {
    const errorArea = h('div', { class: 'dialog-error' });
    const confirmButton = confirmLabel
      ? h('button', { type: 'submit', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], text: confirmLabel })
      : null;
    const cancelButton = h('button', { type: 'button', class: 'btn', text: cancelLabel });
    const form = h('form', { novalidate: true },
      h('div', { class: 'dialog-body' }, h('h2', { text: title }), errorArea, body),
      h('div', { class: 'dialog-foot' }, cancelButton, confirmButton));
    const dialog = h('dialog', { id, class: wide ? 'wide' : null, 'aria-label': title }, form);
    let settled = false;
    const finish = (value) => {
      if (settled) return;
      settled = true;
      if (dialog.open) dialog.close();
      dialog.remove();
      resolve(value);
    };
    cancelButton.addEventListener('click', () => finish(null));
    dialog.addEventListener('cancel', (event) => {
      event.preventDefault();
      finish(null);
    });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!confirmButton) return;
      confirmButton.disabled = true;
      replace(errorArea);
      try {
        finish(await onConfirm());
      } catch (error) {
        replace(errorArea, inlineBanner('error', error.message || String(error)));
      } finally {
        confirmButton.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = dialog.querySelector('input:not([type=checkbox]), textarea, select');
    (first || confirmButton || cancelButton).focus();
  });
}

/**
 * Asks for confirmation. option: {label, checked} adds a checkbox; resolves
 * {option: boolean} when confirmed, null when cancelled.
 */
export function confirmDialog({ title, message, details, confirmLabel = 'Confirm', danger = false, option, onConfirm, id }) {
  const box = option ? checkbox(option.label, { checked: Boolean(option.checked), name: 'option' }) : null;
  return openDialog({
    title, id, confirmLabel, danger,
    body: [h('p', { text: message }), details || null, box ? box.element : null],
    onConfirm: async () => {
      const result = { option: box ? box.input.checked : false };
      if (onConfirm) await onConfirm(result);
      return result;
    },
  });
}

/**
 * Asks for a passphrase (twice when confirm). onConfirm(passphrase) runs inside the dialog;
 * resolves its result, or null when cancelled.
 */
export function passphraseDialog({ title, message, confirmLabel = 'Continue', confirm = true, minLength = 8, onConfirm, id }) {
  const first = h('input', { type: 'password', name: 'passphrase', autocomplete: 'new-password', required: true });
  const second = h('input', { type: 'password', name: 'passphrase-again', autocomplete: 'new-password' });
  return openDialog({
    title, id, confirmLabel,
    body: [
      h('p', { text: message }),
      field('Passphrase', first, minLength ? `At least ${minLength} characters.` : null),
      confirm ? field('Repeat the passphrase', second) : null,
    ],
    onConfirm: async () => {
      const passphrase = first.value;
      if (passphrase.length < Math.max(1, minLength)) {
        throw new Error(minLength ? `The passphrase needs at least ${minLength} characters.` : 'Enter a passphrase.');
      }
      if (confirm && passphrase !== second.value) throw new Error('The two passphrases differ.');
      return onConfirm ? onConfirm(passphrase) : passphrase;
    },
  });
}

/** Shows information with a single Close button. */
export function infoDialog({ title, body, id, wide = true }) {
  return openDialog({ title, body, id, wide, confirmLabel: null, cancelLabel: 'Close' });
}
