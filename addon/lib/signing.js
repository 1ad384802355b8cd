/**
 * RFC 9421 (HTTP Message Signatures) for add-on → backend calls, exactly as backend/security/signing.py
 * verifies them: label sig1, alg hmac-sha256, keyid = connection id, covering "@method" "@path" "@query"
 * "content-digest" (RFC 9530 sha-256 of the body bytes), with created and nonce. Pure: the hashing is
 * passed in (`crypto`), so Apps Script uses Utilities (Backend.js) and tests use node:crypto.
 *
 * Signature base (RFC 9421 §2.5), one line per component, no trailing newline:
 *   "@method": POST
 *   "@path": /api/v1/connections/c_x/edits
 *   "@query": ?source=trigger            ← "?" alone when the URL has no query
 *   "content-digest": sha-256=:<base64>:
 *   "@signature-params": ("@method" "@path" "@query" "content-digest");created=…;keyid="…";alg="hmac-sha256";nonce="…"
 * The path and query are taken as spelled in the URL (no decoding or normalising), as the backend does.
 */
var Signing = (function () {
  var LABEL = 'sig1';
  var COMPONENTS = ['@method', '@path', '@query', 'content-digest'];
  var ALG = 'hmac-sha256';

  /** The @path and @query of an absolute URL; an empty path is "/", a missing query is "?". */
  function splitUrl(url) {
    var m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*([^?#]*)(\?[^#]*)?/.exec(url);
    if (!m) throw new Error('Not an absolute URL: ' + url);
    return { path: m[1] || '/', query: m[2] || '?' };
  }

  /** A Structured Fields string (RFC 8941 §3.3.3): printable ASCII, quotes and backslashes escaped. */
  function sfString(value) {
    var s = String(value);
    if (!/^[\x20-\x7e]*$/.test(s)) throw new Error('Signature parameters must be printable ASCII: ' + s);
    return '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
  }

  function contentDigest(sha256Base64) {
    return 'sha-256=:' + sha256Base64 + ':';
  }

  /** The inner list with its parameters, in the order the backend's library writes them. */
  function signatureParams(p) {
    if (!/^\d+$/.test(String(p.created))) throw new Error('created must be whole seconds since the epoch');
    var list = COMPONENTS.map(function (c) { return '"' + c + '"'; }).join(' ');
    return '(' + list + ');created=' + p.created + ';keyid=' + sfString(p.keyId) + ';alg="' + ALG + '";nonce=' + sfString(p.nonce);
  }

  /** r = {method, url, contentDigest, params} → the exact string that is HMAC-ed. */
  function signatureBase(r) {
    var u = splitUrl(r.url);
    return [
      '"@method": ' + String(r.method).toUpperCase(),
      '"@path": ' + u.path,
      '"@query": ' + u.query,
      '"content-digest": ' + r.contentDigest,
      '"@signature-params": ' + r.params,
    ].join('\n');
  }

  /**
   * req = {method, url, body (string, sent as UTF-8; '' for none), keyId, secretBase64, created, nonce};
   * crypto = {sha256Base64(text), hmacSha256Base64(secretBase64, text)}, both over UTF-8 bytes.
   * Returns the three headers to send.
   */
  function headers(req, crypto) {
    var digest = contentDigest(crypto.sha256Base64(req.body || ''));
    var params = signatureParams({ created: req.created, keyId: req.keyId, nonce: req.nonce });
    var base = signatureBase({ method: req.method, url: req.url, contentDigest: digest, params: params });
    return {
      'Content-Digest': digest,
      'Signature-Input': LABEL + '=' + params,
      Signature: LABEL + '=:' + crypto.hmacSha256Base64(req.secretBase64, base) + ':',
    };
  }

  return {
    LABEL: LABEL,
    COMPONENTS: COMPONENTS,
    splitUrl: splitUrl,
    sfString: sfString,
    contentDigest: contentDigest,
    signatureParams: signatureParams,
    signatureBase: signatureBase,
    headers: headers,
  };
})();
