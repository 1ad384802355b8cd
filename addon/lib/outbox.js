/**
 * The rows the trigger could not deliver yet, kept in DocumentProperties until the next run. Pure:
 * merging (one entry per row key, the newest edit wins — it carries the whole row's mapped values),
 * taking out what was delivered (a row edited again meanwhile stays), and packing into parts that each
 * fit one property value. Packing keeps the OLDEST rows: whatever does not fit is handed back, and the
 * caller records that a reconcile is owed — the backend then reads every row from the sheet, so a row
 * left out is late, never lost.
 */
var Outbox = (function () {
  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  /**
   * queued + fresh → one row per key, the later edited_at winning (fresh on a tie), oldest first. The
   * columns the merged edits touched add up (`edited`); a row queued without that list (an older
   * add-on) leaves the merged row without it.
   */
  function merge(queued, fresh) {
    var byKey = {};
    (queued || []).concat(fresh || []).forEach(function (r) {
      var seen = byKey[r.key];
      if (!seen) {
        byKey[r.key] = r;
        return;
      }
      var newer = r.edited_at >= seen.edited_at ? r : seen;
      var older = newer === r ? seen : r;
      var both = newer.edited && older.edited;
      var merged = Object.assign({}, newer);
      if (both) merged.edited = newer.edited.concat(older.edited.filter(function (id) { return newer.edited.indexOf(id) < 0; }));
      else delete merged.edited;
      byKey[r.key] = merged;
    });
    return Object.keys(byKey)
      .map(function (k) { return byKey[k]; })
      .sort(function (a, b) { return a.edited_at - b.edited_at; });
  }

  /** `rows` less those `delivered` covers (same key, edited no later than the delivered copy). */
  function without(rows, delivered) {
    var sent = {};
    (delivered || []).forEach(function (r) { sent[r.key] = Math.max(sent[r.key] || 0, r.edited_at); });
    return (rows || []).filter(function (r) { return !(r.key in sent) || r.edited_at > sent[r.key]; });
  }

  /**
   * Rows (oldest first) → {parts: [[row, …], …], left: [row, …]}: parts whose JSON array is at most
   * partBytes (UTF-8), at most maxParts of them, filled oldest first; `left` is what did not fit.
   */
  function pack(rows, partBytes, maxParts) {
    var parts = [];
    var left = [];
    var current = null;
    var bytes = 0;
    (rows || []).forEach(function (r) {
      var size = utf8Length(JSON.stringify(r));
      if (current && bytes + 1 + size <= partBytes) {
        current.push(r);
        bytes += 1 + size;
      } else if (parts.length < maxParts && 2 + size <= partBytes) {
        current = [r];
        bytes = 2 + size;
        parts.push(current);
      } else {
        left.push(r);
      }
    });
    return { parts: parts, left: left };
  }

  return { merge: merge, without: without, pack: pack, utf8Length: utf8Length };
})();
