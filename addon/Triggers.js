/**
 * The installable triggers (reference/google.md §2.2): a simple onEdit cannot call UrlFetchApp, so
 * auto-sync is an installable edit trigger on `handleEdit` (never named onEdit, which would also run as
 * the simple trigger) plus a change trigger on `handleChange` for inserted/removed rows. Such a trigger
 * runs as the person who made it but fires for every editor's change, so auto-sync is one pair of
 * triggers per DOCUMENT: DocumentProperties record whose pair it is (CONFIG.PROP.AUTO_SYNC, with the
 * triggers' ids), and any other pair — a colleague took auto-sync over, or someone turned it off —
 * deletes itself the next time it fires and does nothing. Edits made by scripts or the Sheets API fire
 * no trigger (no loops with the backend's writes).
 */

/**
 * An edit in the connected tab below the header → rows keyed and sent (see Edits.js). An edit of the
 * header row asks for a reconcile: the backend reads the sheet and checks its headers against the
 * mapping, so a rename that breaks it is reported at once (not at the next edit), and edits a run
 * stopped for a broken header go through as soon as the header is put back.
 */
function handleEdit(e) {
  if (!e || !e.range || !isCurrentTrigger_(e)) return;
  var conn = loadConnection_();
  if (!conn || e.range.getSheet().getSheetId() !== conn.sheetId) return; // not set up, or another tab
  var header = e.range.getRow() <= conn.headerRow && e.range.getLastRow() >= conn.headerRow;
  var edit = collectEdit_(e.range, conn);
  deliverEdits_(edit.rows, conn, edit.reconcile || header);
}

/** Rows inserted or removed: row numbers moved, so ask the backend to reconcile by key. */
function handleChange(e) {
  // Most changes (every plain edit fires one too) need nothing: decide before reading any property.
  var type = String(e && e.changeType);
  if (type !== 'INSERT_ROW' && type !== 'REMOVE_ROW') return;
  if (!isCurrentTrigger_(e)) return;
  var conn = loadConnection_();
  if (conn) deliverEdits_([], conn, true);
}

/**
 * Is the trigger that fired this event the document's auto-sync (by the event's triggerUid)? If not,
 * it removes the running user's auto-sync triggers here and says no. Triggers made before auto-sync
 * was recorded per document claim it: the first to fire becomes the document's.
 */
function isCurrentTrigger_(e) {
  var record = loadAutoSync_();
  var uid = String(e.triggerUid || '');
  if (record && record.on) {
    if (uid === record.edit || uid === record.change) return true;
  } else if (!record && loadConnection_()) {
    var claimed = claimAutoSync_();
    if (claimed && (uid === claimed.edit || uid === claimed.change)) return true;
  }
  console.info('auto-sync: trigger ' + uid + ' is not this document\'s auto-sync; removing it');
  removeAutoSync_();
  return false;
}

/** Unrecorded triggers: record the running user's pair under the document lock, unless one is recorded. */
function claimAutoSync_() {
  var lock = LockService.getDocumentLock();
  if (!lock || !lock.tryLock(CONFIG.LOCK_WAIT_MS)) return null;
  try {
    if (loadAutoSync_()) return loadAutoSync_();
    var ids = autoSyncTriggerIds_();
    if (!ids.edit) return null;
    var record = { on: true, by: Session.getEffectiveUser().getEmail(), edit: ids.edit, change: ids.change, at: Date.now() };
    saveAutoSync_(record);
    return record;
  } finally {
    lock.releaseLock();
  }
}

/** The running user's auto-sync triggers in this document. */
function autoSyncTriggers_() {
  /** @type {string[]} */
  var handlers = [CONFIG.HANDLERS.EDIT, CONFIG.HANDLERS.CHANGE];
  return ScriptApp.getUserTriggers(SpreadsheetApp.getActiveSpreadsheet()).filter(function (t) {
    return handlers.indexOf(t.getHandlerFunction()) >= 0;
  });
}

/** {edit, change}: the unique ids of the running user's pair ('' where one is missing). */
function autoSyncTriggerIds_() {
  var ids = { edit: '', change: '' };
  autoSyncTriggers_().forEach(function (t) {
    if (t.getHandlerFunction() === CONFIG.HANDLERS.EDIT) ids.edit = String(t.getUniqueId());
    else ids.change = String(t.getUniqueId());
  });
  return ids;
}

/**
 * This document's auto-sync as the sidebar and menu show it: {autoSync, autoSyncBy, autoSyncMine}.
 * Readable in AuthMode.LIMITED (no ScriptApp): only DocumentProperties and the user's email.
 */
function autoSyncState_() {
  var record = loadAutoSync_();
  var on = Boolean(record && record.on);
  var by = on && record ? String(record.by || '') : '';
  var me = String(Session.getEffectiveUser().getEmail() || '');
  return { autoSync: on, autoSyncBy: by || null, autoSyncMine: on && Boolean(me) && by === me };
}

/**
 * Turn auto-sync on for this document as the running user — taking it over if a colleague runs it:
 * their triggers delete themselves when they next fire. Idempotent.
 */
function installAutoSync_() {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var ids = autoSyncTriggerIds_();
  if (!ids.edit) ids.edit = String(ScriptApp.newTrigger(CONFIG.HANDLERS.EDIT).forSpreadsheet(ss).onEdit().create().getUniqueId());
  if (!ids.change) ids.change = String(ScriptApp.newTrigger(CONFIG.HANDLERS.CHANGE).forSpreadsheet(ss).onChange().create().getUniqueId());
  saveAutoSync_({ on: true, by: Session.getEffectiveUser().getEmail(), edit: ids.edit, change: ids.change, at: Date.now() });
}

/** Turn auto-sync off for this document (any editor may); the owner's triggers go when they next fire. */
function turnOffAutoSync_() {
  saveAutoSync_({ on: false, by: Session.getEffectiveUser().getEmail(), at: Date.now() });
  removeAutoSync_();
}

/** Delete the running user's auto-sync triggers in this document. */
function removeAutoSync_() {
  autoSyncTriggers_().forEach(function (t) { ScriptApp.deleteTrigger(t); });
}
