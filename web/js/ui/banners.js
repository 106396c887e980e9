// Error and success banners above the page. Messages are text (the server's own error message).

import { h } from '../dom.js';

const area = () => document.getElementById('banners');

function show(kind, title, message, { autoClose = 0 } = {}) {
  const banner = h('div', { class: ['banner', `banner-${kind}`], role: kind === 'error' ? 'alert' : 'status' },
    h('div', { class: 'banner-text' },
      title ? h('span', { class: 'banner-title', text: title }) : null,
      h('span', { class: 'banner-message', text: message })),
    h('button', {
      type: 'button', class: 'banner-close', 'aria-label': 'Dismiss', text: '×',
      onclick: () => banner.remove(),
    }));
  area().append(banner);
  if (autoClose > 0) setTimeout(() => banner.remove(), autoClose);
  return banner;
}

/** Shows an error (an ApiError or any Error) with the server's message. */
export function showError(error, title = 'Error') {
  const message = error && error.message ? error.message : String(error);
  return show('error', `${title}:`, message);
}

export function showSuccess(message) {
  return show('success', '', message, { autoClose: 8000 });
}

export function showInfo(message) {
  return show('info', '', message);
}

export function clearBanners() {
  area().replaceChildren();
}

/** An inline banner element for use inside forms and dialogs. */
export function inlineBanner(kind, message) {
  return h('div', { class: ['banner', `banner-${kind}`], role: kind === 'error' ? 'alert' : 'status' },
    h('div', { class: 'banner-text', text: message }));
}
