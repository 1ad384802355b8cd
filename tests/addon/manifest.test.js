// The project as clasp pushes it: manifest, backend URL in one place, .claspignore, and the layout
// rules the add-on keeps (STYLE 16–18).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { GasDoubles } = require('../../sandbox/gas/node.js');
const { createWorld } = require('./helpers/world.js');

const ROOT = path.resolve(__dirname, '..', '..');
const read = (f) => fs.readFileSync(path.join(ROOT, f), 'utf8');
const manifest = JSON.parse(read('appsscript.json'));
const S = 'https://www.googleapis.com/auth/';

function files(dir, skip) {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((d) => {
    const rel = path.posix.join(dir, d.name);
    if (skip.includes(d.name)) return [];
    return d.isDirectory() ? files(rel, skip) : [rel.replace(/^\.\//, '')];
  });
}
const addonFiles = files('addon', []);
const withoutComments = (code) => code.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');

test('appsscript.json: V8, Stackdriver, the narrowest scopes, a whitelist, no addOns section', () => {
  assert.equal(manifest.runtimeVersion, 'V8');
  assert.equal(manifest.exceptionLogging, 'STACKDRIVER');
  assert.deepEqual(manifest.oauthScopes, [
    S + 'spreadsheets.currentonly', S + 'script.container.ui', S + 'script.external_request', S + 'script.scriptapp', 'openid', S + 'userinfo.email',
  ]);
  assert.equal(manifest.addOns, undefined, 'an Editor add-on has no addOns section');
  assert.ok(manifest.urlFetchWhitelist.length >= 1);
  for (const prefix of manifest.urlFetchWhitelist) assert.equal(GasDoubles.urlfetch.invalidPrefix(prefix), null, prefix);
});

test('the whitelist rules the doubles enforce (reference/google.md §1.3)', () => {
  const { allowed, invalidPrefix } = GasDoubles.urlfetch;
  assert.match(invalidPrefix('https://x.a.run.app'), /non-empty path/);
  assert.match(invalidPrefix('http://x.example.com/'), /https/);
  assert.match(invalidPrefix('https://a.*.example.com/'), /wildcard/);
  assert.ok(allowed('https://x.example.com/api/v1?q=1', 'https://x.example.com/'));
  assert.ok(allowed('https://x.example.com/api?q', 'https://x.example.com/api'));
  assert.ok(!allowed('https://x.example.com/apix', 'https://x.example.com/api'));
  assert.ok(!allowed('https://x.example.com/API', 'https://x.example.com/api'), 'paths are case-sensitive');
  assert.ok(allowed('https://a.example.com/', 'https://*.example.com/'));
  assert.ok(!allowed('https://example.com/', 'https://*.example.com/'), 'the wildcard needs a subdomain');
});

test('the backend URL lives in addon/Config.js only, and falls under the whitelist', () => {
  const { gas } = createWorld();
  const { global, finish } = gas.execution();
  const url = global.CONFIG.BACKEND_URL;
  const full = global.backendUrl_('/connections/c_x/edits');
  finish();
  assert.ok(manifest.urlFetchWhitelist.some((p) => GasDoubles.urlfetch.allowed(url, p)), url);
  assert.ok(manifest.urlFetchWhitelist.some((p) => GasDoubles.urlfetch.allowed(full, p)), full);
  const host = new URL(url).host;
  const mentions = addonFiles.filter((f) => read(f).includes(host));
  assert.deepEqual(mentions, ['addon/Config.js']);
});

/** clasp's ignore rule: patterns in order, `!` re-includes, the last match wins. */
function glob(pattern) {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern.startsWith('**/', i)) (re += '(?:.*/)?'), (i += 2);
    else if (pattern.startsWith('**', i)) (re += '.*'), (i += 1);
    else if (pattern[i] === '*') re += '[^/]*';
    else re += pattern[i].replace(/[.+^${}()|[\]\\?]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

test('.claspignore lets clasp push the manifest and the add-on\'s .js/.html only', () => {
  const rules = read('.claspignore').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const ignored = (file) => rules.reduce((ign, rule) => (rule.startsWith('!') ? (glob(rule.slice(1)).test(file) ? false : ign) : glob(rule).test(file) ? true : ign), false);
  const all = files('.', ['.git', '.venv', 'node_modules', '__pycache__', '.pytest_cache', '.ruff_cache', 'test-artifacts']);
  const pushed = all.filter((f) => !ignored(f)).sort();
  const expected = ['appsscript.json'].concat(addonFiles.filter((f) => /\.(js|html)$/.test(f))).sort();
  assert.deepEqual(pushed, expected);
  assert.ok(pushed.includes('addon/lib/signing.js') && !pushed.includes('addon/README.md'));
  const clasp = JSON.parse(read('.clasp.json.example'));
  assert.equal(clasp.rootDir, '.');
});

test('UrlFetchApp is called from addon/Backend.js only; no function is named onEdit', () => {
  const js = addonFiles.filter((f) => f.endsWith('.js'));
  assert.deepEqual(js.filter((f) => /UrlFetchApp\./.test(withoutComments(read(f)))), ['addon/Backend.js']);
  assert.deepEqual(js.filter((f) => /function\s+onEdit\s*\(/.test(read(f))), []);
});

test('Code.js holds only menu, install and show', () => {
  const names = [...read('addon/Code.js').matchAll(/^function (\w+)/gm)].map((m) => m[1]);
  assert.deepEqual(names, ['onOpen', 'onInstall', 'showSidebar', 'showSidebar_', 'include', 'menuSyncNow', 'menuTurnOnAutoSync', 'menuTurnOffAutoSync']);
});

test('scriptlets: <?= ?> for data outside <script>, <?!= ?> only for include()', () => {
  for (const f of addonFiles.filter((x) => x.endsWith('.html'))) {
    const text = read(f);
    for (const m of text.matchAll(/<\?!=([\s\S]*?)\?>/g)) assert.match(m[1].trim(), /^include\(/, f);
    const scripts = [...text.matchAll(/<script[\s\S]*?<\/script>/g)].map((m) => m[0]).join('');
    assert.ok(!scripts.includes('<?'), f + ': no scriptlet inside <script>');
  }
});

test('the sidebar calls the server through one helper, and only functions the server defines', () => {
  const js = read('addon/SidebarJs.html');
  assert.equal(js.split('google.script.run').length - 1, 1, 'google.script.run appears once, in call()');
  const called = new Set([...js.matchAll(/call\('(\w+)'/g)].map((m) => m[1]));
  called.add('turnOffAutoSync').add('turnOnAutoSync'); // called as call(on ? 'turnOffAutoSync' : 'turnOnAutoSync')
  const { gas } = createWorld();
  const { global, finish } = gas.execution();
  for (const name of called) {
    assert.equal(typeof global[name], 'function', name);
    assert.ok(!name.endsWith('_'), name + ' is private: google.script.run cannot call it');
  }
  finish();
  assert.ok(called.size >= 15);
});

test('the sidebar is keyboard usable: real buttons, labelled selects, live regions, a progressbar', () => {
  const html = read('addon/Sidebar.html');
  assert.doesNotMatch(html, /<(div|span|a)[^>]*onclick/i, 'clickable things are buttons');
  for (const m of html.matchAll(/<button([^>]*)>/g)) assert.match(m[1], /type="button"/);
  for (const m of html.matchAll(/<select id="([^"]+)"/g)) assert.match(html, new RegExp('<label for="' + m[1] + '"'));
  assert.match(html, /role="progressbar"[^>]*aria-valuemin="0"[^>]*aria-valuemax="100"/);
  assert.match(html, /id="message"[^>]*aria-live="polite"/);
  assert.match(html, /id="error"[^>]*role="alert"/);
  assert.doesNotMatch(read('addon/SidebarCss.html'), /body\s*\{[^}]*\bwidth:/, 'the body takes the frame\'s width');
});

test('the sidebar\'s script is valid JavaScript (it runs in the browser, not under these tests)', () => {
  const vm = require('node:vm');
  const js = read('addon/SidebarJs.html');
  const code = /<script>([\s\S]*)<\/script>/.exec(js)[1];
  assert.doesNotThrow(() => new vm.Script(code, { filename: 'addon/SidebarJs.html' }));
  for (const m of code.matchAll(/(?:\$|button|choice)\('([\w-]+)'\)/g)) {
    const inPage = read('addon/Sidebar.html').includes('id="' + m[1] + '"') || /^(target|direction|policy)-/.test(m[1]);
    assert.ok(inPage, 'SidebarJs uses #' + m[1] + ', which Sidebar.html does not have');
  }
});
