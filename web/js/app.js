// Entry point: sign-in, sign-out and the hash router (#/certificates, #/import, #/keys,
// #/groups, #/logs, #/token).

import { onUnauthorized } from './api.js';
import { h } from './dom.js';
import { clearToken, getToken } from './session.js';
import { clearBanners } from './ui/banners.js';
import { initSignIn, showSignIn } from './pages/signin.js';
import { renderCertificates } from './pages/certificates.js';
import { renderImport } from './pages/import.js';
import { renderKeys } from './pages/keys.js';
import { renderGroups } from './pages/groups.js';
import { renderLogs } from './pages/logs.js';
import { renderToken } from './pages/token.js';

const ROUTES = {
  certificates: { title: 'Certificates', render: renderCertificates },
  import: { title: 'Import', render: renderImport },
  keys: { title: 'Keys', render: renderKeys },
  groups: { title: 'Groups', render: renderGroups },
  logs: { title: 'Recent logs', render: renderLogs },
  token: { title: 'Token status', render: renderToken },
};
const DEFAULT_ROUTE = 'certificates';

/** "#/import?fingerprint=ab" → {name: 'import', params: URLSearchParams}. */
function currentRoute() {
  const hash = window.location.hash.replace(/^#\/?/, '');
  const [name, query = ''] = hash.split('?');
  return { name: ROUTES[name] ? name : DEFAULT_ROUTE, params: new URLSearchParams(query) };
}

function render() {
  if (!getToken()) {
    document.getElementById('app-view').hidden = true;
    showSignIn();
    return;
  }
  document.getElementById('signin-view').hidden = true;
  document.getElementById('app-view').hidden = false;
  const { name, params } = currentRoute();
  const route = ROUTES[name];
  document.title = `${route.title} · S/MIME appliance`;
  for (const link of document.querySelectorAll('.nav a')) {
    const active = link.dataset.route === name;
    link.classList.toggle('active', active);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  clearBanners();
  // A fresh container per render: a slow answer for a page left behind lands in a detached node.
  const container = h('div', { class: 'page-content', dataset: { page: name } });
  document.getElementById('page').replaceChildren(container);
  route.render(container, params);
}

function signOut(reason) {
  clearToken();
  clearBanners();
  document.getElementById('page').replaceChildren();
  document.getElementById('app-view').hidden = true;
  showSignIn(reason);
}

// Any open actions menu closes when clicking elsewhere.
document.addEventListener('click', (event) => {
  for (const menu of document.querySelectorAll('details.menu[open]')) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});

window.addEventListener('hashchange', render);
onUnauthorized((error) => signOut(`Signed out: ${error.message}`));
document.getElementById('signout').addEventListener('click', () => signOut('You have signed out.'));
initSignIn(() => {
  if (!window.location.hash || window.location.hash === '#') window.location.hash = `#/${DEFAULT_ROUTE}`;
  render();
});
render();
