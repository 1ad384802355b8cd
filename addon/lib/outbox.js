/**
 * The rows the trigger could not deliver, kept in one DocumentProperties value until the next run.
 * Pure: merging (one entry per row key, the newest edit wins — it carries the whole row's mapped values)
 * and bounding to what one property value holds (9 KB; the oldest rows are dropped first, and the caller
 * asks the backend for a reconcile so nothing dropped is lost for good).
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

  /** queued + fresh → one row per key, the later edited_at winning (fresh on a tie), oldest first. */
  function merge(queued, fresh) {
    var byKey = {};
    (queued || []).concat(fresh || []).forEach(function (r) {
      var seen = byKey[r.key];
      if (!seen || r.edited_at >= seen.edited_at) byKey[r.key] = r;
    });
    return Object.keys(byKey)
      .map(function (k) { return byKey[k]; })
      .sort(function (a, b) { return a.edited_at - b.edited_at; });
  }

  /** Keep the newest rows whose JSON array fits in maxBytes (UTF-8). → {json, kept, dropped} */
  function fit(rows, maxBytes) {
    var sizes = rows.map(function (r) { return utf8Length(JSON.stringify(r)); });
    var total = 2 + sizes.reduce(function (a, b) { return a + b; }, 0) + Math.max(0, rows.length - 1);
    var from = 0;
    while (from < rows.length && total > maxBytes) {
      total -= sizes[from] + (rows.length - from > 1 ? 1 : 0);
      from++;
    }
    var kept = rows.slice(from);
    return { json: JSON.stringify(kept), kept: kept, dropped: from };
  }

  return { merge: merge, fit: fit, utf8Length: utf8Length };
})();
