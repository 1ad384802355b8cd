/*
 * Byte helpers for the Apps Script doubles: UTF-8, base64 (plain and web-safe), SHA-256 and
 * HMAC-SHA256 in plain JS. Synchronous on purpose: Apps Script's Utilities is synchronous, WebCrypto is
 * not, and `vm` contexts have no TextEncoder/atob. Portable: no Node or DOM APIs.
 *
 * Apps Script hands out byte arrays as Java `byte[]`, i.e. JS arrays of SIGNED numbers (-128..127);
 * `toSigned`/`toUnsigned` convert at the edges. Inside, everything is unsigned (0..255).
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});

  function utf8Encode(text) {
    const out = [];
    const s = String(text);
    for (let i = 0; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      // a lone surrogate becomes U+FFFD, as the WHATWG encoder does
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return out;
  }

  function utf8Decode(bytes) {
    const b = toUnsigned(bytes);
    let s = '';
    for (let i = 0; i < b.length; ) {
      const c = b[i++];
      let cp;
      if (c < 0x80) cp = c;
      else if (c >= 0xc0 && c < 0xe0) cp = ((c & 31) << 6) | (b[i++] & 63);
      else if (c >= 0xe0 && c < 0xf0) cp = ((c & 15) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63);
      else if (c >= 0xf0) cp = ((c & 7) << 18) | ((b[i++] & 63) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63);
      else cp = 0xfffd;
      s += String.fromCodePoint(cp);
    }
    return s;
  }

  function toUnsigned(bytes) {
    const out = new Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = bytes[i] & 255;
    return out;
  }

  function toSigned(bytes) {
    const out = new Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = ((bytes[i] & 255) << 24) >> 24;
    return out;
  }

  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

  function base64Encode(bytes, webSafe) {
    const b = toUnsigned(bytes);
    let s = '';
    for (let i = 0; i < b.length; i += 3) {
      const n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
      s += B64[(n >> 18) & 63] + B64[(n >> 12) & 63];
      s += i + 1 < b.length ? B64[(n >> 6) & 63] : '=';
      s += i + 2 < b.length ? B64[n & 63] : '=';
    }
    return webSafe ? s.replace(/\+/g, '-').replace(/\//g, '_') : s;
  }

  function base64Decode(text) {
    const s = String(text).replace(/-/g, '+').replace(/_/g, '/').replace(/[\s=]+/g, '');
    if (/[^A-Za-z0-9+/]/.test(s) || s.length % 4 === 1) {
      throw new Error('Could not decode string.'); // Apps Script's message for bad base64
    }
    const out = [];
    for (let i = 0; i < s.length; i += 4) {
      const n =
        (B64.indexOf(s[i]) << 18) |
        (B64.indexOf(s[i + 1]) << 12) |
        ((i + 2 < s.length ? B64.indexOf(s[i + 2]) : 0) << 6) |
        (i + 3 < s.length ? B64.indexOf(s[i + 3]) : 0);
      out.push((n >> 16) & 255);
      if (i + 2 < s.length) out.push((n >> 8) & 255);
      if (i + 3 < s.length) out.push(n & 255);
    }
    return out;
  }

  // SHA-256 (FIPS 180-4), straightforward and small; speed is irrelevant for test payloads.
  const K = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ];

  function sha256(bytes) {
    const msg = toUnsigned(bytes);
    const bitLen = msg.length * 8;
    msg.push(0x80);
    while (msg.length % 64 !== 56) msg.push(0);
    const hi = Math.floor(bitLen / 0x100000000);
    for (const word of [hi, bitLen >>> 0]) msg.push((word >>> 24) & 255, (word >>> 16) & 255, (word >>> 8) & 255, word & 255);
    const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    const w = new Array(64);
    const rotr = (x, n) => (x >>> n) | (x << (32 - n));
    for (let off = 0; off < msg.length; off += 64) {
      for (let t = 0; t < 16; t++) {
        const j = off + t * 4;
        w[t] = ((msg[j] << 24) | (msg[j + 1] << 16) | (msg[j + 2] << 8) | msg[j + 3]) | 0;
      }
      for (let t = 16; t < 64; t++) {
        const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
        const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
        w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
      }
      let [a, b, c, d, e, f, g, hh] = h;
      for (let t = 0; t < 64; t++) {
        const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) | 0;
        const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        hh = g;
        g = f;
        f = e;
        e = (d + t1) | 0;
        d = c;
        c = b;
        b = a;
        a = (t1 + t2) | 0;
      }
      const add = [a, b, c, d, e, f, g, hh];
      for (let i = 0; i < 8; i++) h[i] = (h[i] + add[i]) | 0;
    }
    const out = [];
    for (const word of h) out.push((word >>> 24) & 255, (word >>> 16) & 255, (word >>> 8) & 255, word & 255);
    return out;
  }

  function hmacSha256(keyBytes, messageBytes) {
    let key = toUnsigned(keyBytes);
    if (key.length > 64) key = sha256(key);
    while (key.length < 64) key.push(0);
    const inner = key.map((b) => b ^ 0x36).concat(toUnsigned(messageBytes));
    const outer = key.map((b) => b ^ 0x5c).concat(sha256(inner));
    return sha256(outer);
  }

  ns.bytes = { utf8Encode, utf8Decode, toSigned, toUnsigned, base64Encode, base64Decode, sha256, hmacSha256 };
})(globalThis);
