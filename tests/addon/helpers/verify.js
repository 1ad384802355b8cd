// An RFC 9421 verifier for the test servers, written from the RFC with node:crypto — independent of
// addon/lib/signing.js, so a bug there cannot hide here. Checks exactly what backend/security/signing.py
// checks: covered components, created within ±300 s, single-use nonce, Content-Digest of the body,
// HMAC-SHA256 of the signature base (constant-time compare).
'use strict';
const crypto = require('node:crypto');

const REQUIRED = ['@method', '@path', '@query', 'content-digest'];

function parseInput(value) {
  const m = /^sig1=\(([^)]*)\)((?:;[a-z]+=(?:"[^"]*"|\d+))*)$/.exec(value || '');
  if (!m) return null;
  const components = m[1].split(' ').filter(Boolean).map((c) => c.replace(/^"|"$/g, ''));
  const params = {};
  for (const p of m[2].split(';').filter(Boolean)) {
    const [k, v] = p.split('=');
    params[k] = v.startsWith('"') ? v.slice(1, -1) : Number(v);
  }
  return { components, params, serialized: value.slice('sig1='.length) };
}

/**
 * req = {method, url (path + query as received), headers (lower-case names), body (Buffer)};
 * secretFor(keyId) → Buffer | undefined; seen = Set of used nonces. → {ok, keyId, reason}
 */
function verifyRequest(req, secretFor, seen, nowS) {
  const input = parseInput(req.headers['signature-input']);
  if (!input) return { ok: false, reason: 'unsigned or unparsable Signature-Input' };
  if (input.components.join(' ') !== REQUIRED.join(' ')) return { ok: false, reason: 'wrong components ' + input.components };
  const { created, keyid, alg, nonce } = input.params;
  if (alg !== 'hmac-sha256') return { ok: false, reason: 'alg ' + alg };
  const now = nowS === undefined ? Math.floor(Date.now() / 1000) : nowS;
  if (!(Math.abs(now - created) <= 300)) return { ok: false, reason: 'created out of window' };
  if (!nonce) return { ok: false, reason: 'no nonce' };
  const digest = 'sha-256=:' + crypto.createHash('sha256').update(req.body).digest('base64') + ':';
  if (req.headers['content-digest'] !== digest) return { ok: false, reason: 'content-digest mismatch' };
  const secret = secretFor(keyid);
  if (!secret) return { ok: false, reason: 'unknown keyid' };
  const q = req.url.indexOf('?');
  const path = q < 0 ? req.url : req.url.slice(0, q);
  const query = q < 0 ? '?' : req.url.slice(q);
  const base = [
    '"@method": ' + req.method,
    '"@path": ' + path,
    '"@query": ' + query,
    '"content-digest": ' + req.headers['content-digest'],
    '"@signature-params": ' + input.serialized,
  ].join('\n');
  const expected = Buffer.from(crypto.createHmac('sha256', secret).update(base, 'utf8').digest('base64'));
  const m = /^sig1=:([A-Za-z0-9+/=]+):$/.exec(req.headers.signature || '');
  const got = Buffer.from(m ? m[1] : '');
  if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected)) return { ok: false, reason: 'signature mismatch' };
  if (seen.has(keyid + ':' + nonce)) return { ok: false, reason: 'replayed nonce' };
  seen.add(keyid + ':' + nonce);
  return { ok: true, keyId: keyid };
}

module.exports = { verifyRequest, parseInput };
