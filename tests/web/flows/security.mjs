// Security of the admin UI: the response headers of /admin, static files that cannot leave
// web/, and the sources themselves (no inline script or style, no HTML sinks, no external
// origins).

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

const CSP_DIRECTIVES = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
  "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
];

export async function adminHeaders({ app }) {
  for (const file of ['/admin/', '/admin/index.html', '/admin/js/app.js', '/admin/css/app.css']) {
    const answer = await app.request('GET', file, { token: null });
    assert.equal(answer.status, 200, `${file} answered ${answer.status}`);
    const csp = answer.headers['content-security-policy'] || '';
    for (const directive of CSP_DIRECTIVES) assert.ok(csp.includes(directive), `${file}: CSP lacks ${directive} (${csp})`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/, `${file}: CSP too loose`);
    assert.equal(answer.headers['x-content-type-options'], 'nosniff', `${file}: nosniff`);
  }
  const types = {
    '/admin/': /^text\/html/, '/admin/js/app.js': /^(text|application)\/javascript/,
    '/admin/css/app.css': /^text\/css/, '/admin/img/key.svg': /^image\/svg\+xml/,
  };
  for (const [file, type] of Object.entries(types)) {
    const answer = await app.request('GET', file, { token: null });
    assert.match(answer.headers['content-type'] || '', type, `${file} content type`);
  }
  const index = await app.request('GET', '/admin/', { token: null });
  assert.equal(index.headers['referrer-policy'], 'no-referrer');
}

export async function staticFilesStayInWebRoot({ app }) {
  const attempts = [
    '/admin/../CMakeLists.txt', '/admin/../../etc/passwd', '/admin/%2e%2e/CMakeLists.txt',
    '/admin/..%2fCMakeLists.txt', '/admin/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/admin/js/../../CMakeLists.txt',
    '/admin/..%5cCMakeLists.txt', '/admin/%252e%252e/CMakeLists.txt', '/admin/js/%2e%2e/%2e%2e/README.md',
    '/admin//etc/passwd', '/admin/.%2e/CMakeLists.txt',
  ];
  for (const attempt of attempts) {
    const answer = await app.request('GET', attempt, { token: null });
    assert.ok([400, 403, 404].includes(answer.status), `${attempt} answered ${answer.status}`);
    const text = answer.body.toString();
    assert.doesNotMatch(text, /cmake_minimum_required|root:x:0:0|S\/MIME appliance/, `${attempt} leaked a file`);
  }
  const listing = await app.request('GET', '/admin/js/', { token: null });
  assert.ok(listing.status >= 400 || !/app\.js/.test(listing.body.toString()), 'no directory listing');
  const missing = await app.request('GET', '/admin/no-such-file.js', { token: null });
  assert.equal(missing.status, 404);
}

async function filesUnder(directory) {
  const out = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) out.push(...await filesUnder(full));
    else out.push(full);
  }
  return out;
}

export async function sourcesFollowTheCsp({ webRoot }) {
  const files = await filesUnder(webRoot);
  assert.ok(files.some((f) => f.endsWith('index.html')));
  for (const file of files) {
    const text = await readFile(file, 'utf8');
    const name = path.relative(webRoot, file);
    if (file.endsWith('.html')) {
      for (const [, attributes, body] of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        assert.match(attributes, /\bsrc=/, `${name}: inline <script>`);
        assert.equal(body.trim(), '', `${name}: inline script content`);
      }
      assert.doesNotMatch(text, /<style\b|\sstyle=|\son[a-z]+=/i, `${name}: inline style or event handler`);
    }
    if (file.endsWith('.js') || file.endsWith('.mjs')) {
      assert.doesNotMatch(text, /\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|\.style\.|setAttribute\('style'/,
        `${name}: an HTML sink, eval or inline style`);
    }
    if (/\.(html|js|mjs|css)$/.test(file)) {
      assert.doesNotMatch(text, /(src|href)=["']?(https?:)?\/\/|url\(\s*["']?(https?:)?\/\/|@import|fetch\(\s*['"`]https?:/i,
        `${name}: refers to an external origin`);
    }
    assert.ok(text.split('\n').length < 800, `${name} is over 800 lines`);
  }
}
