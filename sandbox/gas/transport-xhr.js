/*
 * Browser transport for the UrlFetchApp double: a synchronous XMLHttpRequest, the only synchronous
 * HTTP a page has (allowed in workers, deprecated but working on the main thread). Same contract as
 * node.js's transport: request {url, method, headers, body: unsigned bytes | null, timeoutMs} →
 * {status, headers, body: unsigned bytes}; throws {unreachable: true} when no answer came.
 * The browser refuses to set some headers (Host, Content-Length, …) and follows redirects itself.
 * Browser only (uses XMLHttpRequest); load after bytes.js.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const FORBIDDEN = /^(host|content-length|connection|accept-encoding|user-agent)$/i;

  function createXhrTransport(XHR) {
    const Request = XHR || root.XMLHttpRequest;
    return function transport(req) {
      const xhr = new Request();
      xhr.open(req.method, req.url, false); // false = synchronous
      // Binary-safe response text: each byte as one char code 0..255.
      if (xhr.overrideMimeType) xhr.overrideMimeType('text/plain; charset=x-user-defined');
      for (const [k, v] of Object.entries(req.headers || {})) if (!FORBIDDEN.test(k)) xhr.setRequestHeader(k, v);
      try {
        xhr.send(req.body ? new Uint8Array(req.body) : null);
      } catch (err) {
        throw Object.assign(new Error(err && err.message ? err.message : 'Network error'), { unreachable: true });
      }
      if (xhr.status === 0) throw Object.assign(new Error('Network error'), { unreachable: true });
      const headers = {};
      for (const line of (xhr.getAllResponseHeaders() || '').trim().split(/\r?\n/)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const text = xhr.responseText || '';
      const body = new Array(text.length);
      for (let i = 0; i < text.length; i++) body[i] = text.charCodeAt(i) & 0xff;
      return { status: xhr.status, headers, body };
    };
  }

  ns.createXhrTransport = createXhrTransport;
})(globalThis);
