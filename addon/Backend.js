/**
 * The only caller of UrlFetchApp. `backendRequest_` sends every request to the backend:
 *  - signed per RFC 9421 with the document's secret (addon/lib/signing.js builds the signature base;
 *    Utilities does the SHA-256 and HMAC — it returns signed Int8 byte arrays, which base64Encode
 *    takes as they are);
 *  - with the user's Google ID token in X-Google-Id-Token where the call needs it (register, connect,
 *    disconnect);
 *  - muteHttpExceptions, so every answer is classified here: 2xx → parsed JSON; problem+json → its
 *    code; anything else by status; no answer at all → "unreachable" (retryable).
 * Errors are thrown as "[code] sentence" (addon/lib/messages.js) with .code, .status and .retryable.
 */

var API_PREFIX_ = '/api/v1';

function backendUrl_(path) {
  return CONFIG.BACKEND_URL.replace(/\/+$/, '') + API_PREFIX_ + path;
}

/** @typedef {Error & {code: string, status: number, retryable: boolean}} BackendError */

/**
 * An Error the sidebar and the trigger understand.
 * @param {string} code
 * @param {string|null} [message]
 * @param {number} [status]
 * @returns {BackendError}
 */
function backendError_(code, message, status) {
  var err = /** @type {BackendError} */ (new Error(Messages.format(code, message)));
  err.code = code;
  err.status = status || 0;
  err.retryable = Boolean(Messages.RETRYABLE[code]);
  return err;
}

/** SHA-256 and HMAC over UTF-8, base64 — the crypto Signing.headers needs, from Utilities. */
function utilitiesCrypto_() {
  return {
    sha256Base64: function (text) {
      return Utilities.base64Encode(Utilities.computeDigest(Utilities.DigestAlgorithm.SHA_256, text, Utilities.Charset.UTF_8));
    },
    hmacSha256Base64: function (secretBase64, text) {
      var key = Utilities.base64Decode(secretBase64);
      return Utilities.base64Encode(Utilities.computeHmacSha256Signature(Utilities.newBlob(text).getBytes(), key));
    },
  };
}

/** Content-Digest, Signature-Input and Signature for one request. */
function signedHeaders_(method, url, body, keyId, secretBase64, created, nonce) {
  return Signing.headers(
    { method: method, url: url, body: body, keyId: keyId, secretBase64: secretBase64, created: created, nonce: nonce },
    utilitiesCrypto_()
  );
}

/**
 * method, path under /api/v1, options {body (object), idToken (bool), signed (default true),
 * connection ({id, secret}; default: this document's)} → the parsed JSON answer.
 */
function backendRequest_(method, path, options) {
  var o = options || {};
  var url = backendUrl_(path);
  var body = o.body === undefined ? '' : JSON.stringify(o.body);
  var headers = { Accept: 'application/json' };
  if (o.signed !== false) {
    var c = o.connection || loadConnection_();
    if (!c) throw backendError_('not_registered');
    var nonce = Utilities.getUuid().replace(/-/g, '');
    var signed = signedHeaders_(method, url, body, c.id, c.secret, Math.floor(Date.now() / 1000), nonce);
    Object.keys(signed).forEach(function (k) { headers[k] = signed[k]; });
  }
  if (o.idToken) {
    var token = ScriptApp.getIdentityToken();
    if (!token) throw backendError_('no_identity');
    headers['X-Google-Id-Token'] = token;
  }
  var params = { method: method.toLowerCase(), headers: headers, muteHttpExceptions: true, followRedirects: false };
  if (body) {
    params.contentType = 'application/json; charset=utf-8';
    params.payload = Utilities.newBlob(body).getBytes(); // exactly the bytes the digest covers
  }
  return parseAnswer_(method, path, fetchOrThrow_(url, params));
}

/** UrlFetchApp throws when no HTTP answer came (DNS, refused, timeout): that is "unreachable". */
function fetchOrThrow_(url, params) {
  try {
    return UrlFetchApp.fetch(url, params);
  } catch (e) {
    var text = String(e && e.message);
    if (/permission|whitelist|not allowed/i.test(text)) throw e; // a deployment mistake, not an outage
    console.warn('backend unreachable: ' + text);
    throw backendError_('unreachable');
  }
}

function parseAnswer_(method, path, response) {
  var status = response.getResponseCode();
  var text = response.getContentText();
  var json = null;
  try {
    json = text ? JSON.parse(text) : {};
  } catch (e) {
    json = null;
  }
  if (status >= 200 && status < 300) {
    if (json === null) throw backendError_('bad_response', null, status);
    return json;
  }
  var p = Messages.forProblem(status, json);
  console.warn('backend ' + method + ' ' + path + ' refused: ' + status + ' ' + p.code);
  var err = backendError_(p.code, p.message, status);
  err.retryable = p.retryable;
  throw err;
}
