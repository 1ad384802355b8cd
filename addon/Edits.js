/**
 * What the edit trigger does with an edit: collect the rows that matter (one getValues for the whole
 * edited rows; new rows get keys under the document lock, written back in one setValues), then deliver
 * them with whatever earlier runs could not deliver. Undelivered rows wait in DocumentProperties, in
 * parts of one property value each (addon/lib/outbox.js); rows that cannot wait there — more than the
 * parts hold, a busy lock, a store that throws — or that the backend refused, turn into a reconcile
 * request on the next delivery, so nothing is lost for good. The backend plans from the values sent
 * and answers each row's lead id, link and status, which `writeAnswers_` puts into the row: an edit
 * costs no Sheets API call.
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
    if (plan.rows.length) {
      var first = conn.headerRow + 1;
      var keys = sheet.getRange(first, cols.key, Math.max(sheet.getLastRow() - first + 1, 1), 1).getValues();
      Rows.withoutValuesWhereKeyRepeats(plan.rows, keys);
    }
  } finally {
    if (lock && locked) lock.releaseLock();
  }
  plan.skipped.forEach(function (s) { console.warn('edit: row ' + s.row + ' skipped: ' + s.reason); });
  return { rows: plan.rows, reconcile: plan.unkeyed > 0 };
}

/**
 * Change the outbox under the document lock: `change(rows)` → the rows to keep; `owe` records that a
 * reconcile is owed, `settled` that one was asked for. → {rows, needsReconcile, stored}.
 * Rows that cannot be stored — no lock, a store that throws, more than the parts hold — are never
 * just dropped: a reconcile is owed instead (the backend then reads every row from the sheet).
 */
function updateOutbox_(change, owe, settled) {
  var lock = LockService.getDocumentLock(); // null outside a document's context
  var locked = Boolean(lock && lock.tryLock(CONFIG.LOCK_WAIT_MS));
  try {
    var box = loadOutbox_();
    var rows = change(box.rows);
    var needsReconcile = Boolean(owe || (box.needsReconcile && !settled));
    if (!locked) {
      // Rewriting the parts unlocked could undo another execution's write; only the flag is safe.
      console.warn('outbox: the document lock is busy; a reconcile will cover these rows');
      oweReconcile_();
      return { rows: rows, needsReconcile: true, stored: false };
    }
    try {
      var left = saveOutboxRows_(rows);
      if (left.length) console.warn('outbox: ' + left.length + ' rows do not fit; a reconcile will cover them');
      if (left.length || needsReconcile !== box.needsReconcile) setReconcileOwed_(needsReconcile || left.length > 0);
      return { rows: rows, needsReconcile: needsReconcile || left.length > 0, stored: !left.length };
    } catch (e) {
      console.error('outbox: could not save (' + (e && e.message) + '); a reconcile will cover these rows');
      oweReconcile_();
      return { rows: rows, needsReconcile: true, stored: false };
    }
  } finally {
    if (lock && locked) lock.releaseLock();
  }
}

/** The last resort of updateOutbox_: one small value; if even that fails, the log says so. */
function oweReconcile_() {
  try {
    setReconcileOwed_(true);
  } catch (e) {
    console.error('outbox: could not record that a reconcile is owed: ' + (e && e.message));
  }
}

/**
 * Send `fresh` rows plus the queued ones (and a reconcile request when one is owed or `reconcile`).
 * The rows are queued first and leave the queue only once delivered, so a failure — or an execution
 * that dies mid-request — keeps them for the next run. → {sent, queued, code?}
 */
function deliverEdits_(fresh, conn, reconcile) {
  var box = updateOutbox_(function (rows) { return Outbox.merge(rows, fresh); }, reconcile, false);
  var rows = refreshQueued_(conn, box.rows, fresh);
  if (!rows.length && !box.needsReconcile) return { sent: 0, queued: 0 };
  /** @type {Array<{key: string, edited_at: number}>} */
  var sent = [];
  /** @type {Array<{key: string, cells: Object}>} */
  var answers = [];
  try {
    var headers = rows.length ? headersNow_(conn) : null;
    for (var i = 0; i < rows.length; i += CONFIG.EDITS_PER_REQUEST) {
      var chunk = rows.slice(i, i + CONFIG.EDITS_PER_REQUEST);
      var body = headers ? { rows: chunk, headers: headers } : { rows: chunk };
      var answer = backendRequest_('POST', connectionPath_(conn, '/edits'), { body: body, connection: conn });
      sent = sent.concat(chunk);
      answers = answers.concat((answer && answer.rows) || []);
    }
    if (box.needsReconcile) backendRequest_('POST', connectionPath_(conn, '/reconcile'), { connection: conn });
  } catch (e) {
    writeAnswers_(conn, answers, sent);
    if (!e.code) throw e;
    // A refusal would be refused again: those rows leave the queue, and a reconcile is owed instead.
    var after = updateOutbox_(function (current) { return Outbox.without(current, e.retryable ? sent : rows); }, !e.retryable, false);
    var queued = after.rows.length;
    saveLastSend_({ ok: false, at: Date.now(), code: e.code, message: Messages.parse(e.message).message, sent: sent.length, queued: queued });
    console.warn('edits: delivery failed (' + e.code + '); ' + queued + ' rows kept for the next run');
    return { sent: sent.length, queued: queued, code: e.code };
  }
  var done = updateOutbox_(function (current) { return Outbox.without(current, sent); }, false, box.needsReconcile);
  writeAnswers_(conn, answers, sent);
  saveLastSend_({ ok: true, at: Date.now(), sent: sent.length, queued: done.rows.length });
  return { sent: sent.length, queued: done.rows.length };
}

/**
 * Rows an earlier execution queued (the backend was unreachable, the lock busy) are read again before
 * they go (`Rows.refresh`); rows this execution just read go as they are. The outbox keeps what it
 * stored: `Outbox.without` matches delivered rows by key and edit time, which this keeps.
 */
function refreshQueued_(conn, rows, fresh) {
  var justRead = {};
  (fresh || []).forEach(function (r) { justRead[r.key] = r.edited_at; });
  var queued = rows.filter(function (r) { return justRead[r.key] !== r.edited_at; });
  if (!queued.length) return rows;
  var sheet = connectedSheet_(conn);
  var first = conn.headerRow + 1;
  var again;
  if (!sheet) {
    again = Rows.refresh(queued, [], first, function () { return []; }, { byId: {} }, []); // the tab is gone
  } else {
    var tab = sheet;
    var cols = sheetColumns_(tab);
    var last = tab.getLastRow();
    var keys = cols.key && last >= first ? tab.getRange(first, cols.key, last - first + 1, 1).getValues() : [];
    var width = tab.getLastColumn();
    again = Rows.refresh(queued, keys, first, function (n) { return tab.getRange(n, 1, 1, width).getValues()[0]; }, cols, loadMappedColumns_());
  }
  var byKey = {};
  again.forEach(function (r) { byKey[r.key] = r; });
  return rows.map(function (r) { return byKey[r.key] || r; });
}

/**
 * The headers of the mapped and system columns as the sheet shows them right before the rows go (one
 * getValues of the header row): the backend plans from the values only while every header still means
 * what the mapping says, else it reads the sheet, which stops the run with a sentence saying what to do.
 * null when the tab is gone.
 */
function headersNow_(conn) {
  var sheet = connectedSheet_(conn);
  if (!sheet) return null;
  var width = sheet.getLastColumn();
  if (width < 1) return null;
  var line = sheet.getRange(conn.headerRow, 1, 1, width).getValues()[0];
  return Rows.headers(line, sheetColumns_(sheet), loadMappedColumns_());
}

/**
 * The backend's answers (lead id, link, status, canonical values) written into their rows by this
 * execution — SpreadsheetApp, not the Sheets API, so an edit spends none of the service account's
 * quota. Under the document lock, each row found by its key (sorted or moved meanwhile: still found;
 * deleted: skipped). Script writes fire no edit trigger. → cells written.
 */
function writeAnswers_(conn, answers, sent) {
  if (!answers || !answers.length) return 0;
  var found = connectedSheet_(conn);
  if (!found) return 0;
  var sheet = found;
  var byKey = {};
  (sent || []).forEach(function (r) { byKey[r.key] = r; });
  var lock = LockService.getDocumentLock(); // null outside a document's context
  if (!lock || !lock.tryLock(CONFIG.LOCK_WAIT_MS)) {
    console.warn('edits: the document lock is busy; ' + answers.length + ' rows keep their old status until the next sync');
    return 0;
  }
  try {
    var cols = sheetColumns_(sheet);
    var first = conn.headerRow + 1;
    var last = sheet.getLastRow();
    if (!cols.key || last < first) return 0;
    var width = sheet.getLastColumn();
    var at = null;
    var written = 0;
    answers.forEach(function (a) {
      var guess = byKey[a.key] && byKey[a.key].row;
      var line = guess >= first && guess <= last ? sheet.getRange(guess, 1, 1, width).getValues()[0] : null;
      var row = line && String(line[cols.key - 1]).trim() === a.key ? guess : null;
      if (!row) {
        // the row moved since the edit: find it by key (one read of the key column for all of them)
        at = at || Rows.locate(sheet.getRange(first, cols.key, last - first + 1, 1).getValues(), first, answers.map(function (x) { return x.key; }));
        row = at[a.key];
        if (!row) return;
        line = sheet.getRange(row, 1, 1, width).getValues()[0];
      }
      Rows.answerWrites(line, a, byKey[a.key], cols).forEach(function (w) {
        sheet.getRange(row, w.column).setValue(w.value);
        written++;
      });
    });
    return written;
  } finally {
    lock.releaseLock();
  }
}

/** The connected tab of the active spreadsheet, or null (deleted). */
function connectedSheet_(conn) {
  var sheets = SpreadsheetApp.getActiveSpreadsheet().getSheets();
  for (var i = 0; i < sheets.length; i++) if (sheets[i].getSheetId() === conn.sheetId) return sheets[i];
  return null;
}

function connectionPath_(conn, suffix) {
  return '/connections/' + encodeURIComponent(conn.id) + (suffix || '');
}
