// Every error code the backend may send has a sentence, and Backend.js turns each kind of answer
// (problem+json, a proxy's error page, garbage, no answer at all) into the right code and sentence.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { startFakeBackend } = require('./helpers/fake-backend.js');
const { createWorld } = require('./helpers/world.js');
const { loadLib, plain } = require('./helpers/lib.js');

const ROOT = path.resolve(__dirname, '..', '..');
const { Messages } = loadLib();

function openapiCodes() {
  const yaml = fs.readFileSync(path.join(ROOT, 'docs', 'openapi.yaml'), 'utf8');
  const m = /code:\s*\n\s*type: string\s*\n\s*enum: \[([^\]]+)\]/.exec(yaml);
  return m[1].split(',').map((s) => s.trim());
}

function backendCodes() {
  const py = fs.readFileSync(path.join(ROOT, 'backend', 'errors.py'), 'utf8');
  const body = py.slice(py.indexOf('class Code('), py.indexOf('class AppError'));
  return [...body.matchAll(/^\s+[A-Z_]+ = "([a-z_]+)"/gm)].map((m) => m[1]);
}

let backend;
test.before(async () => {
  backend = await startFakeBackend();
});
test.after(() => backend.close());

function connectedGas() {
  const world = createWorld({ backend });
  world.gas.call('setUp');
  return world.gas;
}

/** Call backendRequest_ inside an execution and return the error it threw (with .code etc.). */
function errorOf(gas, method, suffix) {
  const { global, finish } = gas.execution();
  try {
    const conn = global.loadConnection_();
    global.backendRequest_(method, '/connections/' + conn.id + suffix, {});
  } catch (e) {
    return { message: e.message, code: e.code, status: e.status, retryable: e.retryable };
  } finally {
    finish();
  }
  return null;
}

test('every code in docs/openapi.yaml and backend/errors.py has a sentence', () => {
  const codes = new Set([...openapiCodes(), ...backendCodes()]);
  assert.ok(codes.size >= 11);
  for (const code of codes) assert.ok(Messages.TEXT[code], 'no sentence for ' + code);
});

test('sentences are short and plain', () => {
  for (const [code, text] of Object.entries(plain(Messages.TEXT))) {
    assert.ok(text.length <= 130, code + ' is too long');
    assert.doesNotMatch(text, /\b(HTTP|JSON|HMAC|RFC|\d{3})\b/, code + ' uses jargon');
  }
});

test('each problem+json code becomes its sentence, retryable only when trying again can help', async () => {
  const gas = connectedGas();
  for (const code of openapiCodes()) {
    const status = { rate_limited: 429, unavailable: 503, internal_error: 500, signature_invalid: 401, id_token_invalid: 401, forbidden: 403, not_found: 404 }[code] || 400;
    await backend.configure({ failures: [{ path: '/errors', status, times: 1, body: { type: 'about:blank', status, code, detail: 'd' } }] });
    const err = errorOf(gas, 'GET', '/errors');
    assert.equal(err.code, code);
    assert.equal(err.message, '[' + code + '] ' + Messages.TEXT[code]);
    assert.equal(err.status, status);
    assert.equal(err.retryable, ['rate_limited', 'unavailable', 'internal_error', 'http_error'].includes(code), code);
  }
});

test('through google.script.run the sidebar gets "[code] sentence"', async () => {
  const gas = connectedGas();
  await backend.configure({ failures: [{ path: '/errors', status: 409, times: 1, body: { status: 409, code: 'needs_reconnect', detail: 'd' } }] });
  assert.throws(() => gas.call('getErrors'), { message: '[needs_reconnect] ' + Messages.TEXT.needs_reconnect });
});

test('validation problems are listed after the sentence', async () => {
  const gas = connectedGas();
  const problems = ['Column "Budget": lead.price needs numbers.', 'Pick a pipeline.'];
  await backend.configure({ failures: [{ path: '/errors', status: 422, times: 1, body: { status: 422, code: 'mapping_invalid', detail: 'd', problems } }] });
  assert.equal(errorOf(gas, 'GET', '/errors').message, '[mapping_invalid] ' + Messages.TEXT.mapping_invalid + ' ' + problems.join(' '));
});

test('a proxy\'s HTML error page is "unavailable" (retryable); an unknown 4xx is a refusal', async () => {
  const gas = connectedGas();
  await backend.configure({ failures: [{ path: '/errors', status: 502, times: 1, contentType: 'text/html', body: '<html>Bad Gateway</html>' }] });
  assert.deepEqual(errorOf(gas, 'GET', '/errors'), { message: '[unavailable] ' + Messages.TEXT.unavailable, code: 'unavailable', status: 502, retryable: true });
  await backend.configure({ failures: [{ path: '/errors', status: 418, times: 1, contentType: 'text/plain', body: 'teapot' }] });
  assert.equal(errorOf(gas, 'GET', '/errors').code, 'http_error');
});

test('a 200 that is not JSON is "bad_response"', async () => {
  const gas = connectedGas();
  await backend.configure({ failures: [{ path: '/errors', status: 200, times: 1, contentType: 'text/html', body: '<html>login</html>' }] });
  assert.equal(errorOf(gas, 'GET', '/errors').code, 'bad_response');
});

test('no answer at all is "unreachable" and retryable', async () => {
  const gas = connectedGas();
  await backend.stop();
  try {
    const err = errorOf(gas, 'GET', '/errors');
    assert.deepEqual(err, { message: '[unreachable] ' + Messages.TEXT.unreachable, code: 'unreachable', status: 0, retryable: true });
  } finally {
    await backend.start();
  }
});

test('a call to a URL outside the urlFetchWhitelist is a deployment error, not an outage', () => {
  const { gas } = createWorld();
  const { global, finish } = gas.execution();
  assert.throws(() => global.fetchOrThrow_('https://elsewhere.example.org/x', {}), /not in the urlFetchWhitelist/);
  finish();
});

test('format and parse round-trip, whatever prefix Apps Script puts in front', () => {
  const text = Messages.format('conflict');
  assert.deepEqual(plain(Messages.parse(text)), { code: 'conflict', message: Messages.TEXT.conflict });
  assert.deepEqual(plain(Messages.parse('Exception: ' + text)), { code: 'conflict', message: Messages.TEXT.conflict });
  assert.deepEqual(plain(Messages.parse('Error: something odd')), { code: 'http_error', message: 'something odd' });
});

test('the sidebar reads error messages with the same "[code] sentence" rule', () => {
  const js = fs.readFileSync(path.join(ROOT, 'addon', 'SidebarJs.html'), 'utf8');
  assert.ok(js.includes(String(/\[([a-z_]+)\]\s*([\s\S]*)$/)), 'SidebarJs.html parses "[code] sentence"');
});
