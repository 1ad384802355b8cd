/*
 * UrlFetchApp double over a pluggable synchronous transport:
 *
 *   transport({url, method, headers, body: number[] (unsigned bytes) | null, followRedirects, timeoutMs})
 *     → {status, headers: {name: value | [values]}, body: number[] (unsigned bytes)}
 *     or throws an Error with `unreachable = true` when no HTTP answer came (refused, DNS, timeout).
 *
 * In Node the transport is node.js's worker + Atomics.wait; in a browser transport-xhr.js (synchronous
 * XMLHttpRequest). state.routes maps URL prefixes to where they really go (a hosts file: the add-on
 * keeps calling https://sync.example.com/…, the test server listens on http://127.0.0.1:port/).
 *
 * Apps Script behaviour mirrored: needs FULL auth and `script.external_request`; honours the manifest's
 * `urlFetchWhitelist` (prefix rules in reference/google.md §1.3); params method/contentType/headers/
 * payload (string, byte array, Blob, or object → form-encoded)/muteHttpExceptions/followRedirects;
 * without muteHttpExceptions a status ≥ 400 throws "Request failed for … returned code N"; an
 * unreachable host throws "Address unavailable: <url>"; responses expose getResponseCode,
 * getContentText, getContent (signed bytes), getBlob, getHeaders, getAllHeaders.
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const b = ns.bytes;

  /** Does `url` fall under allowlist `prefix` ("identical to the prefix or a child of it")? */
  function allowed(url, prefix) {
    const m = /^https:\/\/(\*\.)?([^/]+)(\/.*)$/.exec(prefix);
    if (!m) return false;
    const u = /^https:\/\/([^/?#]+)(.*)$/.exec(url);
    if (!u) return false;
    const hostOk = m[1] ? u[1].endsWith('.' + m[2]) && u[1].length > m[2].length + 1 : u[1] === m[2];
    const rest = u[2] || '/';
    const path = m[3];
    const childOk = rest === path || (rest.startsWith(path) && (path.endsWith('/') || /^[/?#]/.test(rest.slice(path.length))));
    return hostOk && childOk;
  }

  /** The manifest rules for one prefix; returns a reason string when it would be refused on save. */
  function invalidPrefix(prefix) {
    const m = /^https:\/\/((?:\*\.)?)([^/*]+)(\/[^*]*)?$/.exec(prefix);
    if (!m) return 'must be https://, with at most one leading * subdomain wildcard';
    if (!m[3]) return 'must have a non-empty path (add a trailing /)';
    if (!m[2].includes('.')) return 'must name a full domain';
    return null;
  }

  function formEncode(obj) {
    return Object.entries(obj)
      .map(([k, v]) => encodeURIComponent(k) + '=' + encodeURIComponent(v))
      .join('&');
  }

  function route(routes, url) {
    for (const [from, to] of Object.entries(routes)) if (url.startsWith(from)) return to + url.slice(from.length);
    return url;
  }

  function response(raw) {
    const headers = raw.headers || {};
    const single = {};
    for (const [k, v] of Object.entries(headers)) single[k] = Array.isArray(v) ? v[v.length - 1] : v;
    const self = {
      getResponseCode: () => raw.status,
      getContentText: () => b.utf8Decode(raw.body || []),
      getContent: () => b.toSigned(raw.body || []),
      getBlob: () => ns.blob(raw.body || [], single['content-type'] || single['Content-Type'] || null),
      getHeaders: () => Object.assign({}, single),
      getAllHeaders: () => Object.assign({}, headers),
    };
    return self;
  }

  function createUrlFetchApp(ex) {
    const state = ex.state;
    function fetch(url, params) {
      ex.check('UrlFetchApp.fetch', 'FULL', ['script.external_request']);
      const p = params || {};
      const list = state.manifest.urlFetchWhitelist;
      if (list && !list.some((prefix) => allowed(url, prefix))) {
        throw new Error('Script has attempted to fetch a URL that is not in the urlFetchWhitelist: ' + url);
      }
      const method = String(p.method || 'get').toUpperCase();
      const headers = Object.assign({}, p.headers || {});
      let body = null;
      if (p.payload !== undefined && p.payload !== null && method !== 'GET') {
        let payload = p.payload;
        if (payload && typeof payload.getBytes === 'function') payload = payload.getBytes();
        else if (payload && typeof payload === 'object' && !Array.isArray(payload)) payload = formEncode(payload);
        body = typeof payload === 'string' ? b.utf8Encode(payload) : b.toUnsigned(payload);
        headers['Content-Type'] = p.contentType || headers['Content-Type'] || 'application/x-www-form-urlencoded';
      }
      const request = { url: route(state.routes, url), method, headers, body, followRedirects: p.followRedirects !== false, timeoutMs: 60000 };
      ex.record('UrlFetchApp.fetch', { url, method, headers, body: body ? b.utf8Decode(body) : null });
      let raw;
      try {
        raw = state.transport(request);
      } catch (err) {
        if (err && err.unreachable) throw new Error('Address unavailable: ' + url);
        throw err;
      }
      const res = response(raw);
      if (raw.status >= 400 && !p.muteHttpExceptions) {
        throw new Error(
          'Request failed for ' + url + ' returned code ' + raw.status + '. Truncated server response: ' +
            res.getContentText().slice(0, 100) + ' (use muteHttpExceptions option to examine full response)'
        );
      }
      return res;
    }
    return {
      fetch,
      fetchAll: (requests) => requests.map((r) => (typeof r === 'string' ? fetch(r) : fetch(r.url, r))),
      getRequest(url, params) {
        const p = params || {};
        return { url, method: String(p.method || 'get'), headers: p.headers || {}, payload: p.payload, contentType: p.contentType };
      },
    };
  }

  ns.createUrlFetchApp = createUrlFetchApp;
  ns.urlfetch = { allowed, invalidPrefix, route };
})(globalThis);
