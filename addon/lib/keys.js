/**
 * Row keys: the short random id in the key column that identifies a row for good (ARCHITECTURE §3).
 * 'r' + 12 base-62 characters (64 random bits). The leading letter keeps Sheets from reading a key as
 * a number, date or boolean (a typed "1e5" would become 100000). Pure: randomness comes in as a UUID.
 */
var Keys = (function () {
  var ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  var PATTERN = /^[A-Za-z0-9_-]{1,40}$/; // docs/openapi.yaml RowKey

  function base62(n, width) {
    var s = '';
    for (var i = 0; i < width; i++) {
      s = ALPHABET.charAt(n % 62) + s;
      n = Math.floor(n / 62);
    }
    return s;
  }

  /** A key from a v4 UUID (Utilities.getUuid()): hex digits 0-7 and 20-27 are fully random. */
  function fromUuid(uuid) {
    var hex = String(uuid).replace(/-/g, '');
    if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error('Not a UUID: ' + uuid);
    return 'r' + base62(parseInt(hex.slice(0, 8), 16), 6) + base62(parseInt(hex.slice(20, 28), 16), 6);
  }

  function isKey(value) {
    return typeof value === 'string' && PATTERN.test(value);
  }

  return { fromUuid: fromUuid, isKey: isKey, PATTERN: PATTERN };
})();
