/**
 * The installable triggers (reference/google.md §2.2): a simple onEdit cannot call UrlFetchApp, so
 * auto-sync is an installable edit trigger on `handleEdit` (never named onEdit, which would also run as
 * the simple trigger) plus a change trigger on `handleChange` for inserted/removed rows. An add-on may
 * have one trigger of each type per user per document; they run as the user who turned them on, in
 * AuthMode.FULL, and edits made by scripts or the Sheets API do not fire them (no loops with the
 * backend's writes).
 */

/** An edit in the connected tab below the header → rows keyed and sent (see Edits.js). */
function handleEdit(e) {
  var conn = loadConnection_();
  if (!conn || !e || !e.range) return;
  if (e.range.getSheet().getSheetId() !== conn.sheetId) return; // another tab
  var edit = collectEdit_(e.range, conn);
  deliverEdits_(edit.rows, conn, edit.reconcile);
}

/** Rows inserted or removed: row numbers moved, so ask the backend to reconcile by key. */
function handleChange(e) {
  var conn = loadConnection_();
  if (!conn || !e) return;
  var type = String(e.changeType);
  if (type !== 'INSERT_ROW' && type !== 'REMOVE_ROW') return;
  deliverEdits_([], conn, true);
}

function autoSyncTriggers_() {
  /** @type {string[]} */
  var handlers = [CONFIG.HANDLERS.EDIT, CONFIG.HANDLERS.CHANGE];
  return ScriptApp.getUserTriggers(SpreadsheetApp.getActiveSpreadsheet()).filter(function (t) {
    return handlers.indexOf(t.getHandlerFunction()) >= 0;
  });
}

function autoSyncIsOn_() {
  return autoSyncTriggers_().some(function (t) { return t.getHandlerFunction() === CONFIG.HANDLERS.EDIT; });
}

/** Install this user's edit and change triggers for this document (idempotent). */
function installAutoSync_() {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var have = autoSyncTriggers_().map(function (t) { return t.getHandlerFunction(); });
  if (have.indexOf(CONFIG.HANDLERS.EDIT) < 0) ScriptApp.newTrigger(CONFIG.HANDLERS.EDIT).forSpreadsheet(ss).onEdit().create();
  if (have.indexOf(CONFIG.HANDLERS.CHANGE) < 0) ScriptApp.newTrigger(CONFIG.HANDLERS.CHANGE).forSpreadsheet(ss).onChange().create();
}

function removeAutoSync_() {
  autoSyncTriggers_().forEach(function (t) { ScriptApp.deleteTrigger(t); });
}
