/**
 * The add-on's DocumentProperties: the connection (id, signing secret, connected tab, header row), the
 * mapped column ids, the outbox of undelivered edits and the last delivery result. DocumentProperties
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

function clearConnection_() {
  var props = docProps_();
  Object.keys(CONFIG.PROP).forEach(function (k) {
    props.deleteProperty(CONFIG.PROP[k]);
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

/** {rows: [...], needsReconcile: bool} — edits waiting for the backend. */
function loadOutbox_() {
  var raw = docProps_().getProperty(CONFIG.PROP.OUTBOX);
  return raw ? JSON.parse(raw) : { rows: [], needsReconcile: false };
}

function saveOutbox_(box) {
  if (!box.rows.length && !box.needsReconcile) docProps_().deleteProperty(CONFIG.PROP.OUTBOX);
  else docProps_().setProperty(CONFIG.PROP.OUTBOX, JSON.stringify(box));
}

/** What the last automatic delivery did, for the sidebar: {ok, at, code?, message?, queued}. */
function saveLastSend_(result) {
  docProps_().setProperty(CONFIG.PROP.LAST_SEND, JSON.stringify(result));
}

function loadLastSend_() {
  var raw = docProps_().getProperty(CONFIG.PROP.LAST_SEND);
  return raw ? JSON.parse(raw) : null;
}
