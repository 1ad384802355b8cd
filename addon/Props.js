/**
 * The add-on's DocumentProperties: the connection (id, signing secret, connected tab, header row), the
 * mapped column ids, the outbox of undelivered edits, whether a reconcile is owed, the last delivery
 * result, and who runs the document's auto-sync. DocumentProperties
 * are shared by every user of the add-on in this document and unreadable by other scripts
 * (reference/google.md §2.5) — the right place for the per-document secret. Never call these in
 * AuthMode.NONE.
 */

function docProps_() {
  return PropertiesService.getDocumentProperties();
}

/** {id, secret, sheetId, headerRow} or null when this document is not set up. */
function loadConnection_() {
  var p = docProps_().getProperties();
  if (!p[CONFIG.PROP.CONNECTION] || !p[CONFIG.PROP.SECRET]) return null;
  return {
    id: p[CONFIG.PROP.CONNECTION],
    secret: p[CONFIG.PROP.SECRET],
    sheetId: Number(p[CONFIG.PROP.SHEET]),
    headerRow: Number(p[CONFIG.PROP.HEADER_ROW] || CONFIG.HEADER_ROW),
  };
}

function saveConnection_(c) {
  /** @type {Object<string, string>} */
  var values = {};
  values[CONFIG.PROP.CONNECTION] = c.id;
  values[CONFIG.PROP.SECRET] = c.secret;
  values[CONFIG.PROP.SHEET] = String(c.sheetId);
  values[CONFIG.PROP.HEADER_ROW] = String(c.headerRow);
  docProps_().setProperties(values);
}

/** Forget everything this add-on keeps in the document (the outbox parts too). */
function clearConnection_() {
  var props = docProps_();
  var ours = Object.keys(CONFIG.PROP).map(function (k) { return CONFIG.PROP[k]; });
  props.getKeys().forEach(function (k) {
    if (ours.indexOf(k) >= 0 || k.indexOf(CONFIG.PROP.OUTBOX + '.') === 0) props.deleteProperty(k);
  });
}

/** Column ids the saved mapping uses (the trigger sends these columns only). */
function loadMappedColumns_() {
  var raw = docProps_().getProperty(CONFIG.PROP.MAPPED);
  return raw ? JSON.parse(raw) : [];
}

function saveMappedColumns_(mapping) {
  var ids = ((mapping && mapping.columns) || []).map(function (rule) { return rule.column; });
  docProps_().setProperty(CONFIG.PROP.MAPPED, JSON.stringify(ids));
}

function outboxPartKey_(i) {
  return CONFIG.PROP.OUTBOX + '.' + i;
}

/**
 * {rows: [...], needsReconcile: bool} — edits waiting for the backend. Rows sit in parts (each one
 * property value, lib/outbox.js); the bare OUTBOX key is the one-value form of earlier versions.
 */
function loadOutbox_() {
  var all = docProps_().getProperties();
  var legacy = all[CONFIG.PROP.OUTBOX] ? JSON.parse(all[CONFIG.PROP.OUTBOX]) : { rows: [], needsReconcile: false };
  var rows = legacy.rows || [];
  for (var i = 0; i < CONFIG.OUTBOX_PARTS; i++) {
    if (all[outboxPartKey_(i)]) rows = rows.concat(JSON.parse(all[outboxPartKey_(i)]));
  }
  return { rows: Outbox.merge(rows, []), needsReconcile: Boolean(legacy.needsReconcile || all[CONFIG.PROP.RECONCILE_OWED]) };
}

/**
 * Store `rows` in as many parts as they need (one setProperties), drop the parts no longer used.
 * → the rows that did not fit (the caller owes a reconcile for them). Throws if the store refuses.
 */
function saveOutboxRows_(rows) {
  var props = docProps_();
  var packed = Outbox.pack(rows, CONFIG.OUTBOX_PART_BYTES, CONFIG.OUTBOX_PARTS);
  /** @type {Object<string, string>} */
  var values = {};
  packed.parts.forEach(function (part, i) { values[outboxPartKey_(i)] = JSON.stringify(part); });
  if (packed.parts.length) props.setProperties(values);
  var stale = props.getKeys().filter(function (k) {
    return !(k in values) && (k === CONFIG.PROP.OUTBOX || k.indexOf(CONFIG.PROP.OUTBOX + '.') === 0);
  });
  stale.forEach(function (k) { props.deleteProperty(k); });
  return packed.left;
}

/** A reconcile is owed (true) or was asked for (false). Its own small value: it can be set when nothing else can. */
function setReconcileOwed_(owed) {
  if (owed) docProps_().setProperty(CONFIG.PROP.RECONCILE_OWED, '1');
  else docProps_().deleteProperty(CONFIG.PROP.RECONCILE_OWED);
}

/** This document's auto-sync: {on, by, edit, change, at} or null (never turned on or off here). */
function loadAutoSync_() {
  var raw = docProps_().getProperty(CONFIG.PROP.AUTO_SYNC);
  return raw ? JSON.parse(raw) : null;
}

function saveAutoSync_(record) {
  docProps_().setProperty(CONFIG.PROP.AUTO_SYNC, JSON.stringify(record));
}

/** What the last automatic delivery did, for the sidebar: {ok, at, sent, queued, code?, message?}. */
function saveLastSend_(result) {
  try {
    docProps_().setProperty(CONFIG.PROP.LAST_SEND, JSON.stringify(result));
  } catch (e) {
    // Only a report for the sidebar: a full store must not stop the delivery it describes.
    console.error('last send: could not save (' + (e && e.message) + ')');
  }
}

function loadLastSend_() {
  var raw = docProps_().getProperty(CONFIG.PROP.LAST_SEND);
  return raw ? JSON.parse(raw) : null;
}
