// The add-on's RFC 9421 signatures against the shared vectors (tests/vectors/signing.json), whose
// expected values come from the literal signature base and a plain HMAC — not from this code.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { vectors } = require('../vectors/signing.json');
const { loadLib, plain } = require('./helpers/lib.js');
const { verifyRequest } = require('./helpers/verify.js');
const { createWorld } = require('./helpers/world.js');

const lib = loadLib();
const nodeCrypto = {
  sha256Base64: (text) => crypto.createHash('sha256').update(text, 'utf8').digest('base64'),
  hmacSha256Base64: (secret, text) => crypto.createHmac('sha256', Buffer.from(secret, 'base64')).update(text, 'utf8').digest('base64'),
};
const request = (v) => ({ method: v.method, url: v.url, body: v.body, keyId: v.key_id, secretBase64: v.secret_base64, created: v.created, nonce: v.nonce });

for (const v of vectors) {
  test('lib/signing.js builds the signature base and headers of: ' + v.name, () => {
    const headers = plain(lib.Signing.headers(request(v), nodeCrypto));
    assert.deepEqual(headers, v.expected);
    const params = v.expected['Signature-Input'].slice('sig1='.length);
    assert.equal(lib.Signing.signatureBase({ method: v.method, url: v.url, contentDigest: v.expected['Content-Digest'], params }), v.signature_base);
  });

  test('Backend.js signs with Apps Script Utilities (signed Int8 bytes) exactly as: ' + v.name, () => {
    const { gas } = createWorld();
    const { global, finish } = gas.execution();
    const headers = global.signedHeaders_(v.method, v.url, v.body, v.key_id, v.secret_base64, v.created, v.nonce);
    finish();
    assert.deepEqual(plain(headers), v.expected);
  });

  test('the test servers\' verifier accepts: ' + v.name, () => {
    const target = v.url.replace(/^https:\/\/[^/]+/, '');
    const headers = Object.fromEntries(Object.entries(v.expected).map(([k, val]) => [k.toLowerCase(), val]));
    const verdict = verifyRequest({ method: v.method, url: target, headers, body: Buffer.from(v.body, 'utf8') }, () => Buffer.from(v.secret_base64, 'base64'), new Set(), v.created);
    assert.deepEqual(verdict, { ok: true, keyId: v.key_id });
  });
}

test('@path and @query are taken as spelled; a missing query is "?", a fragment is not part of it', () => {
  const cases = [
    ['https://sync.example.com', '/', '?'],
    ['https://sync.example.com/a/b', '/a/b', '?'],
    ['https://sync.example.com/a?', '/a', '?'],
    ['https://sync.example.com/a%2Fb?x=%20y&z#frag', '/a%2Fb', '?x=%20y&z'],
    ['http://127.0.0.1:8080/api/v1?q=1', '/api/v1', '?q=1'],
  ];
  for (const [url, path, query] of cases) assert.deepEqual(plain(lib.Signing.splitUrl(url)), { path, query }, url);
});

test('signature parameters are Structured Field strings: escaped, ASCII only', () => {
  assert.equal(lib.Signing.sfString('a"b\\c'), '"a\\"b\\\\c"');
  assert.throws(() => lib.Signing.sfString('ключ'), /printable ASCII/);
  assert.throws(() => lib.Signing.signatureParams({ created: 1.5, keyId: 'c', nonce: 'n' }), /whole seconds/);
});

test('every request the add-on sends gets a fresh nonce and the current time as created', () => {
  const sent = [];
  const transport = (req) => (sent.push(req), { status: 200, headers: {}, body: Array.from(Buffer.from('{"rows":[]}')) });
  const { gas } = createWorld({ gas: { transport } });
  const props = gas.state.properties.document;
  props.set('amo_sync.connection_id', 'c_Live000001');
  props.set('amo_sync.secret', Buffer.from('k').toString('base64'));
  props.set('amo_sync.sheet_id', '0');
  gas.call('getErrors');
  gas.call('getErrors');
  const inputs = sent.map((r) => /;created=(\d+);keyid="c_Live000001";alg="hmac-sha256";nonce="([^"]+)"$/.exec(r.headers['Signature-Input']));
  assert.ok(inputs.every(Boolean));
  assert.notEqual(inputs[0][2], inputs[1][2], 'nonces differ');
  for (const m of inputs) assert.ok(Math.abs(Number(m[1]) - Date.now() / 1000) < 5);
  assert.equal(sent[0].headers['Content-Digest'], 'sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:', 'digest of the empty body');
});
