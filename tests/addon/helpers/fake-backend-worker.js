// A stand-in for the backend's /api/v1, run in a worker thread (the add-on's UrlFetchApp blocks the
// test's main thread, so the server must live elsewhere). It speaks docs/openapi.yaml: registration
// with proof of control, signed connection routes (verified by ./verify.js), problem+json refusals.
// The main thread configures it and reads what it received through ./fake-backend.js.
'use strict';
const http = require('node:http');
const crypto = require('node:crypto');
const { parentPort } = require('node:worker_threads');
const { verifyRequest } = require('./verify.js');

const SA = 'sync@test-project.iam.gserviceaccount.com';
const state = {
  idToken: 'test-id-token',
  secrets: {}, // connection id → base64 secret
  connection: { amo: { connected: false }, mapping: null, last_sync: null, errors: 0, last_error: '' },
  challenge: null,
  failures: [], // [{path: substring (or exact: true), status, body, times}] answered instead of the route
  routes: {}, // 'GET /suffix' → {status, body} for connection routes without built-in behaviour
  nonces: new Set(),
  requests: [],
};
let server = null;
let port = 0;

function problem(res, status, code, detail, extra) {
  res.writeHead(status, { 'Content-Type': 'application/problem+json' });
  res.end(JSON.stringify(Object.assign({ type: 'about:blank', status, code, detail: detail || code }, extra || {})));
}

function json(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** A scripted failure for this path, if one is left (after the signature check, so it is recorded). */
function injectedFailure(res, path) {
  const failure = state.failures.find((f) => f.times > 0 && (f.exact ? path === f.path : path.includes(f.path)));
  if (!failure) return false;
  failure.times--;
  res.writeHead(failure.status, { 'Content-Type': failure.contentType || 'application/problem+json' });
  res.end(typeof failure.body === 'string' ? failure.body : JSON.stringify(failure.body || {}));
  return true;
}

function handle(req, res, body, record) {
  const url = new URL(req.url, 'http://x');
  const path = url.pathname;
  const data = body.length ? JSON.parse(body.toString('utf8')) : null;
  if (path.startsWith('/api/v1/register') && injectedFailure(res, path)) return;
  if (path === '/api/v1/register/challenge' || path === '/api/v1/register') {
    if (req.headers['x-google-id-token'] !== state.idToken) return problem(res, 401, 'id_token_invalid');
    if (path.endsWith('/challenge')) {
      state.challenge = { challenge_id: 'ch_' + crypto.randomBytes(4).toString('hex'), metadata_key: 'amo_sync_challenge', metadata_value: crypto.randomBytes(12).toString('hex'), service_account_email: SA, expires_in: 600 };
      return json(res, 200, state.challenge);
    }
    // The real backend reads the spreadsheet through the Sheets API; the test transport passes the
    // spreadsheet's metadata and editors as they are at this moment in X-Test-Sheets-View.
    const view = JSON.parse(req.headers['x-test-sheets-view'] || '{"metadata":[],"editors":[]}');
    const c = state.challenge;
    const proof = c && data.challenge_id === c.challenge_id && view.editors.includes(SA) &&
      view.metadata.some((m) => m.location.locationType === 'SPREADSHEET' && m.visibility === 'DOCUMENT' && m.metadataKey === c.metadata_key && m.metadataValue === c.metadata_value);
    if (!proof) return problem(res, 403, 'proof_failed', 'The challenge was not found in the spreadsheet.');
    const id = 'c_TestConn' + crypto.randomBytes(4).toString('hex');
    state.secrets[id] = crypto.randomBytes(32).toString('base64');
    return json(res, 200, { connection_id: id, secret: state.secrets[id], created: true });
  }
  const m = /^\/api\/v1\/connections\/([^/]+)(\/.*)?$/.exec(path);
  if (!m) return problem(res, 404, 'not_found');
  const verdict = verifyRequest(
    { method: req.method, url: req.url, headers: req.headers, body },
    (keyId) => (state.secrets[keyId] ? Buffer.from(state.secrets[keyId], 'base64') : undefined),
    state.nonces
  );
  record.signature = verdict;
  if (!verdict.ok) return problem(res, 401, 'signature_invalid', verdict.reason);
  if (verdict.keyId !== decodeURIComponent(m[1])) return problem(res, 403, 'forbidden');
  if (injectedFailure(res, path)) return;
  const suffix = m[2] || '';
  const needsToken = (req.method === 'DELETE' && !suffix) || suffix === '/connect-ticket';
  if (needsToken && req.headers['x-google-id-token'] !== state.idToken) return problem(res, 401, 'id_token_invalid');
  const route = state.routes[req.method + ' ' + suffix];
  if (route) return json(res, route.status || 200, route.body);
  if (req.method === 'GET' && suffix === '') return json(res, 200, Object.assign({ connection_id: m[1] }, state.connection));
  if (req.method === 'POST' && suffix === '/edits') return json(res, 202, { queued: data.rows.length });
  if (req.method === 'POST' && suffix === '/reconcile') return json(res, 202, { queued: true });
  if (req.method === 'POST' && suffix === '/connect-ticket') return json(res, 200, { url: 'http://127.0.0.1:' + port + '/connect?ticket=t1', expires_in: 600 });
  if (req.method === 'DELETE' && suffix === '') return json(res, 200, { disconnected: true });
  if (req.method === 'PUT' && suffix === '/mapping') return json(res, 200, { mapping: data });
  return problem(res, 404, 'not_found');
}

function listen(wanted) {
  return new Promise((resolve) => {
    server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const record = { method: req.method, url: req.url, headers: req.headers, body: body.toString('utf8') };
        state.requests.push(record);
        try {
          handle(req, res, body, record);
        } catch (err) {
          problem(res, 500, 'internal_error', String(err && err.stack));
        }
      });
    });
    server.listen(wanted || 0, '127.0.0.1', () => {
      port = server.address().port;
      resolve(port);
    });
  });
}

const commands = {
  start: () => listen(port),
  stop: () => new Promise((resolve) => (server ? server.close(() => resolve(true)) : resolve(true))),
  configure: (patch) => {
    for (const [k, v] of Object.entries(patch)) state[k] = v;
    return true;
  },
  requests: () => state.requests.map((r) => Object.assign({}, r)),
  clearRequests: () => ((state.requests = []), true),
  secrets: () => state.secrets,
};

parentPort.on('message', async ({ id, command, args }) => {
  try {
    parentPort.postMessage({ id, result: await commands[command](...(args || [])) });
  } catch (err) {
    parentPort.postMessage({ id, error: String(err && err.stack) });
  }
});
