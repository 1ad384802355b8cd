/**
 * What the edit trigger does with an edit: collect the rows that matter (one getValues for the whole
 * edited rows; new rows get keys under the document lock, written back in one setValues), then deliver
 * them with whatever earlier runs could not deliver. Undelivered rows wait in DocumentProperties
 * (addon/lib/outbox.js bounds them to one 9 KB value); rows dropped to fit, or refused by the backend,
 * turn into a reconcile request on the next delivery, so nothing is lost for good.
 */

/**
 * The rows of this edit to send → {rows: [{key, row, edited_at, values}], reconcile}. If another
 * execution holds the document lock too long, new rows get no key now (writing keys unlocked could
 * race another trigger) and `reconcile` asks the backend to key them.
 */
function collectEdit_(range, conn) {
  var none = { rows: [], reconcile: false };
  var sheet = range.getSheet();
  var span = Rows.span(range.getRow(), range.getLastRow(), conn.headerRow, sheet.getLastRow());
  if (!span) return none;
  var cols = sheetColumns_(sheet);
  if (!cols.key) {
    console.warn('edit: no key column yet (save the mapping first)');
    return none;
  }
  var positions = [cols.key].concat(cols.own, Object.keys(cols.byId).map(function (id) { return cols.byId[id]; }));
  var width = Math.max.apply(null, [sheet.getLastColumn()].concat(positions));
  var lock = LockService.getDocumentLock(); // null outside a document's context
  var locked = Boolean(lock && lock.tryLock(CONFIG.LOCK_WAIT_MS));
  if (!locked) console.warn('edit: the document lock is busy; new rows wait for a reconcile to get keys');
  var plan;
  try {
    var values = sheet.getRange(span.first, 1, span.last - span.first + 1, width).getValues();
    plan = Rows.planEdit({
      values: values,
      firstRow: span.first,
      editedColumns: { first: range.getColumn(), last: range.getLastColumn() },
      columns: cols,
      mapped: loadMappedColumns_(),
      editedAt: Date.now(),
      newKey: locked ? function () { return Keys.fromUuid(Utilities.getUuid()); } : null,
      isKey: Keys.isKey,
    });
    if (plan.keyColumn) sheet.getRange(span.first, cols.key, plan.keyColumn.length, 1).setValues(plan.keyColumn);
  } finally {
    if (lock && locked) lock.releaseLock();
  }
  plan.skipped.forEach(function (s) { console.warn('edit: row ' + s.row + ' skipped: ' + s.reason); });
  return { rows: plan.rows, reconcile: plan.unkeyed > 0 };
}

/** Change the outbox under the document lock; false when the lock could not be had. */
function withOutbox_(change) {
  var lock = LockService.getDocumentLock();
  if (!lock || !lock.tryLock(CONFIG.LOCK_WAIT_MS)) return false;
  try {
    var box = loadOutbox_();
    var result = change(box);
    var fitted = Outbox.fit(box.rows, CONFIG.OUTBOX_MAX_BYTES - 64);
    if (fitted.dropped) console.warn('outbox: ' + fitted.dropped + ' rows dropped to fit; a reconcile will cover them');
    saveOutbox_({ rows: fitted.kept, needsReconcile: Boolean(box.needsReconcile || fitted.dropped) });
    return result === undefined ? true : result;
  } finally {
    lock.releaseLock();
  }
}

/**
 * Send `fresh` rows plus the queued ones (and a reconcile request when one is owed or `reconcile`).
 * → {sent, queued, code?}
 */
function deliverEdits_(fresh, conn, reconcile) {
  var taken = { rows: [], needsReconcile: false };
  withOutbox_(function (box) {
    taken = { rows: box.rows, needsReconcile: Boolean(box.needsReconcile) };
    box.rows = [];
    box.needsReconcile = false;
  });
  var rows = Outbox.merge(taken.rows, fresh);
  var wantReconcile = Boolean(reconcile || taken.needsReconcile);
  if (!rows.length && !wantReconcile) return { sent: 0, queued: 0 };
  var sent = 0;
  try {
    for (var i = 0; i < rows.length; i += CONFIG.EDITS_PER_REQUEST) {
      var chunk = rows.slice(i, i + CONFIG.EDITS_PER_REQUEST);
      backendRequest_('POST', connectionPath_(conn, '/edits'), { body: { rows: chunk }, connection: conn });
      sent += chunk.length;
    }
    if (wantReconcile) backendRequest_('POST', connectionPath_(conn, '/reconcile'), { connection: conn });
    saveLastSend_({ ok: true, at: Date.now(), sent: sent, queued: 0 });
    return { sent: sent, queued: 0 };
  } catch (e) {
    if (!e.code) throw e;
    var left = e.retryable ? rows.slice(sent) : [];
    // A refusal would be refused again: drop those rows, and owe a reconcile instead.
    var kept = withOutbox_(function (box) {
      box.rows = Outbox.merge(left, box.rows);
      box.needsReconcile = Boolean(box.needsReconcile || wantReconcile || !e.retryable);
    });
    if (!kept) console.error('edits: the document lock is busy; ' + left.length + ' undelivered rows are lost until a reconcile');
    saveLastSend_({ ok: false, at: Date.now(), code: e.code, message: Messages.parse(e.message).message, sent: sent, queued: left.length });
    console.warn('edits: delivery failed (' + e.code + '); ' + left.length + ' rows kept for the next run');
    return { sent: sent, queued: left.length, code: e.code };
  }
}

function connectionPath_(conn, suffix) {
  return '/connections/' + encodeURIComponent(conn.id) + (suffix || '');
}
