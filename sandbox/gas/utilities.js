/*
 * Utilities double (and the Blob it makes). Byte arrays in and out are SIGNED (-128..127), like the
 * Java byte[] Apps Script returns: `Utilities.computeDigest(...)[0]` may be negative, so code that
 * formats bytes must mask with `& 0xff` — the double makes that mistake visible.
 *
 * Implemented: computeDigest (SHA_256), computeHmacSha256Signature and computeHmacSignature
 * (HMAC_SHA_256), base64Encode/Decode (+ WebSafe), newBlob, getUuid, formatDate (SimpleDateFormat
 * letters y M d H h m s S a E Z X and 'quoted' text), sleep. Other digest/MAC algorithms throw.
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const b = ns.bytes;
  const { makeEnum } = ns.runtime;

  const DigestAlgorithm = makeEnum(['MD2', 'MD5', 'SHA_1', 'SHA_256', 'SHA_384', 'SHA_512']);
  const MacAlgorithm = makeEnum(['HMAC_MD5', 'HMAC_SHA_1', 'HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512']);
  const Charset = makeEnum(['US_ASCII', 'UTF_8']);

  /** A string is encoded (UTF-8 unless told otherwise); a byte array is taken as is. */
  function bytesOf(value, charset) {
    if (typeof value === 'string') {
      if (charset && String(charset) === 'US_ASCII') return Array.from(value, (ch) => ch.charCodeAt(0) & 127);
      return b.utf8Encode(value);
    }
    if (Array.isArray(value) || (value && typeof value.length === 'number')) return b.toUnsigned(Array.from(value));
    throw new Error('Cannot convert ' + value + ' to byte[].');
  }

  function blob(bytes, contentType, name) {
    let data = b.toUnsigned(bytes);
    let type = contentType || null;
    let fileName = name || null;
    const self = {
      getBytes: () => b.toSigned(data),
      getDataAsString: (charset) => (charset && String(charset) === 'US_ASCII' ? String.fromCharCode(...data) : b.utf8Decode(data)),
      getContentType: () => type,
      setContentType(t) { type = t; return self; },
      getName: () => fileName,
      setName(n) { fileName = n; return self; },
      setBytes(next) { data = b.toUnsigned(next); return self; },
      setDataFromString(s) { data = b.utf8Encode(s); return self; },
      copyBlob: () => blob(data, type, fileName),
      isGoogleType: () => false,
    };
    return self;
  }

  function pad(n, width) {
    return String(n).padStart(width, '0');
  }

  /** Date parts in a time zone, from Intl (present in every modern JS engine and in vm contexts). */
  function partsIn(date, timeZone) {
    const f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'long',
    });
    const p = {};
    for (const x of f.formatToParts(date)) p[x.type] = x.value;
    const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour % 24, +p.minute, +p.second);
    return {
      y: +p.year, M: +p.month, d: +p.day, H: +p.hour % 24, m: +p.minute, s: +p.second,
      S: date.getUTCMilliseconds(), E: p.weekday, offset: Math.round((asUtc - (date.getTime() - date.getUTCMilliseconds())) / 60000),
    };
  }

  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

  function formatDate(date, timeZone, format) {
    const t = partsIn(date, timeZone);
    const sign = t.offset < 0 ? '-' : '+';
    const oh = pad(Math.floor(Math.abs(t.offset) / 60), 2);
    const om = pad(Math.abs(t.offset) % 60, 2);
    const token = (ch, n) => {
      switch (ch) {
        case 'y': return n === 2 ? pad(t.y % 100, 2) : pad(t.y, n);
        case 'M': return n >= 4 ? MONTHS[t.M - 1] : n === 3 ? MONTHS[t.M - 1].slice(0, 3) : pad(t.M, n);
        case 'd': return pad(t.d, n);
        case 'H': return pad(t.H, n);
        case 'h': return pad(t.H % 12 || 12, n);
        case 'm': return pad(t.m, n);
        case 's': return pad(t.s, n);
        case 'S': return pad(t.S, 3).slice(0, Math.max(n, 3));
        case 'a': return t.H < 12 ? 'AM' : 'PM';
        case 'E': return n >= 4 ? t.E : t.E.slice(0, 3);
        case 'Z': return sign + oh + om;
        case 'X': return t.offset === 0 ? 'Z' : n === 1 ? sign + oh : n === 2 ? sign + oh + om : sign + oh + ':' + om;
        default: throw new Error('Illegal pattern character \'' + ch + '\'');
      }
    };
    let out = '';
    for (let i = 0; i < format.length; ) {
      const ch = format[i];
      if (ch === "'") {
        const end = format.indexOf("'", i + 1);
        out += end === i + 1 ? "'" : format.slice(i + 1, end < 0 ? format.length : end);
        i = end < 0 ? format.length : end + 1;
      } else if (/[A-Za-z]/.test(ch)) {
        let n = 1;
        while (format[i + n] === ch) n++;
        out += token(ch, n);
        i += n;
      } else {
        out += ch;
        i++;
      }
    }
    return out;
  }

  function uuid(random) {
    const r = Array.from({ length: 16 }, () => Math.floor(random() * 256));
    r[6] = (r[6] & 0x0f) | 0x40;
    r[8] = (r[8] & 0x3f) | 0x80;
    const h = r.map((x) => pad(x.toString(16), 2)).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function createUtilities(ex) {
    const state = ex.state;
    const only = (alg, want) => {
      if (String(alg) !== want) throw new Error('The double implements ' + want + ' only, not ' + alg + '.');
    };
    const hmac = (value, key, charset) => {
      if (typeof value !== typeof key) throw new Error('Cannot find method computeHmacSha256Signature(' + typeof value + ',' + typeof key + ').');
      return b.toSigned(b.hmacSha256(bytesOf(key, charset), bytesOf(value, charset)));
    };
    return {
      DigestAlgorithm,
      MacAlgorithm,
      Charset,
      computeDigest(algorithm, value, charset) {
        only(algorithm, 'SHA_256');
        return b.toSigned(b.sha256(bytesOf(value, charset)));
      },
      computeHmacSha256Signature: hmac,
      computeHmacSignature(algorithm, value, key, charset) {
        only(algorithm, 'HMAC_SHA_256');
        return hmac(value, key, charset);
      },
      base64Encode: (data, charset) => b.base64Encode(bytesOf(data, charset), false),
      base64EncodeWebSafe: (data, charset) => b.base64Encode(bytesOf(data, charset), true),
      base64Decode: (text) => b.toSigned(b.base64Decode(text)),
      base64DecodeWebSafe: (text) => b.toSigned(b.base64Decode(text)),
      newBlob: (data, contentType, name) => blob(data === undefined ? [] : bytesOf(data), contentType, name),
      getUuid: () => uuid(state.random),
      formatDate: (date, timeZone, format) => formatDate(date, timeZone, format),
      sleep(ms) {
        if (ms > 300000) throw new Error('Argument too large: milliseconds');
        ex.record('Utilities.sleep', { ms });
        if (state.sleep) state.sleep(ms);
        else for (const end = Date.now() + ms; Date.now() < end; );
      },
    };
  }

  ns.createUtilities = createUtilities;
  ns.blob = blob;
  ns.formatDate = formatDate;
})(globalThis);
