/**
 * The functions the sidebar calls through google.script.run, named for what the person wants. Each
 * returns plain data (google.script.run passes no Dates or functions) or throws "[code] sentence"
 * (Backend.js). The backend's JSON is passed through as docs/openapi.yaml describes it; only the
 * connection state is reshaped (describeState_) into what the sidebar needs to pick its screen.
 */

/** → {stage: 'setup'|'connect'|'mapping'|'ready', …} — which screen the sidebar shows, and its data. */
function getState() {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var conn = loadConnection_();
  var base = { activeSheet: ss.getActiveSheet().getName() };
  if (!conn) return Object.assign({}, base, { stage: 'setup' });
  var remote;
  try {
    remote = backendRequest_('GET', connectionPath_(conn), { connection: conn });
  } catch (e) {
    // The backend no longer knows this document (or its secret): the way out is Set up again.
    if (e.code === 'signature_invalid' || e.code === 'not_found') return Object.assign({}, base, { stage: 'setup', problem: Messages.parse(e.message).message });
    throw e;
  }
  var sheet = sheetById_(ss, conn.sheetId);
  var outbox = loadOutbox_();
  return Object.assign({}, base, describeState_(remote), autoSyncState_(), {
    connectionId: conn.id,
    sheetTitle: sheet ? sheet.getName() : null,
    lastSend: loadLastSend_(),
    queued: outbox.rows.length,
    reconcileOwed: outbox.needsReconcile,
  });
}

/** Register this document (the active tab) with the backend, proving control. → getState() */
function setUp() {
  register_();
  return getState();
}

/** → {url, expiresIn}: the amoCRM connect page for this connection (the sidebar opens it in a popup). */
function startConnect() {
  var conn = requireConnection_();
  var ticket = backendRequest_('POST', connectionPath_(conn, '/connect-ticket'), { connection: conn, idToken: true });
  if (!ticket.url) throw backendError_('bad_response');
  return { url: ticket.url, expiresIn: ticket.expires_in || null };
}

/** → {pipelines: [{id, name, statuses: [{id, name}]}], users, fields: {lead: [...], contact: [...]}} */
function getAmoMetadata() {
  var conn = requireConnection_();
  return backendRequest_('GET', connectionPath_(conn, '/amo/metadata'), { connection: conn });
}

/** → {mapping, headers, formulaColumns}: a mapping proposed from the sheet's headers and the account's fields. */
function suggestMapping() {
  var conn = requireConnection_();
  return withFormulaColumns_(conn, backendRequest_('POST', connectionPath_(conn, '/mapping/suggest'), { connection: conn }));
}

/**
 * → {mapping (or null), headers: [{column, header, index}], formulaColumns: [column id]}; remembers
 * which columns the trigger sends.
 */
function getMapping() {
  var conn = requireConnection_();
  var answer = backendRequest_('GET', connectionPath_(conn, '/mapping'), { connection: conn });
  if (answer.mapping) saveMappedColumns_(answer.mapping);
  return withFormulaColumns_(conn, answer);
}

/** Validate and save (422 mapping_invalid lists the problems). → the backend's answer */
function saveMapping(mapping) {
  if (!mapping || !Array.isArray(mapping.columns)) throw backendError_('mapping_invalid');
  var conn = requireConnection_();
  var answer = backendRequest_('PUT', connectionPath_(conn, '/mapping'), { connection: conn, body: mapping });
  saveMappedColumns_(answer.mapping || mapping);
  return answer;
}

/** Plan a full sync without changing anything. → Job (poll getJob for counts and guards) */
function previewSync() {
  var conn = requireConnection_();
  return backendRequest_('POST', connectionPath_(conn, '/sync/preview'), { connection: conn });
}

/** Run the sync; confirm=true passes the guards the preview showed as tripped. → Job */
function startSync(confirm) {
  var conn = requireConnection_();
  return backendRequest_('POST', connectionPath_(conn, '/sync'), { connection: conn, body: { confirm: confirm === true } });
}

/** → Job {job_id, kind, status, progress: {phase, done, total, percent}, preview, result, guards, error} */
function getJob(jobId) {
  if (typeof jobId !== 'string' || !jobId || jobId.length > 80) throw backendError_('not_found');
  var conn = requireConnection_();
  return backendRequest_('GET', connectionPath_(conn, '/jobs/' + encodeURIComponent(jobId)), { connection: conn });
}

/** → {rows: [{key, row, message, …}]}: rows whose last sync failed. */
function getErrors() {
  var conn = requireConnection_();
  return backendRequest_('GET', connectionPath_(conn, '/errors'), { connection: conn });
}

/** Sync one row again after fixing it. → the backend's answer (queued) */
function retryRow(key) {
  if (!Keys.isKey(key)) throw backendError_('bad_key');
  var conn = requireConnection_();
  return backendRequest_('POST', connectionPath_(conn, '/rows/' + key + '/retry'), { connection: conn });
}

/** → {entries: [...]} what changed in this row, newest first. */
function getRowHistory(key) {
  if (!Keys.isKey(key)) throw backendError_('bad_key');
  var conn = requireConnection_();
  return backendRequest_('GET', connectionPath_(conn, '/rows/' + key + '/history'), { connection: conn });
}

/** → {runs: [Run], next_before}: this sheet's recent sync runs, newest first (docs/openapi.yaml `Run`). */
function getRuns(before) {
  var conn = requireConnection_();
  var query = '';
  if (before !== undefined && before !== null) {
    if (!isRunId_(before)) throw backendError_('not_found');
    query = '?before=' + before;
  }
  return backendRequest_('GET', connectionPath_(conn, '/runs' + query), { connection: conn });
}

/** → {run: Run, changes: [{key, lead_id, contact_id, side, field, before, after, why}], next_offset} */
function getRun(runId) {
  if (!isRunId_(runId)) throw backendError_('not_found');
  var conn = requireConnection_();
  return backendRequest_('GET', connectionPath_(conn, '/runs/' + runId), { connection: conn });
}

/**
 * Undo a run: restore what it changed where nobody changed it since; its leads are kept and tagged
 * (stage: optional stage id to move them to; confirm=true passes the share-of-rows guard, as for a
 * sync). → Job (poll getJob; `waiting_confirmation` when the guard tripped)
 */
function undoRun(runId, stage, confirm) {
  if (!isRunId_(runId)) throw backendError_('not_found');
  var conn = requireConnection_();
  var body = typeof stage === 'number' && stage > 0 ? { stage: stage } : {};
  if (confirm === true) body.confirm = true;
  return backendRequest_('POST', connectionPath_(conn, '/runs/' + runId + '/undo'), { connection: conn, body: body });
}

/** → {webhook, amo, token, backlog}: each {ok, detail, action, at}; backlog also {queued, estimate_s}. */
function getHealth() {
  var conn = requireConnection_();
  return backendRequest_('GET', connectionPath_(conn, '/health'), { connection: conn });
}

/** A run id as the backend makes them (milliseconds, a dash, 8 hex digits): safe in a path as is. */
function isRunId_(runId) {
  return typeof runId === 'string' && /^[0-9]{13}-[0-9a-f]{8}$/.test(runId);
}

/** → {row, key|null}: the row under the cursor in the connected tab (for "history of this row"). */
function getSelectedRow() {
  var conn = requireConnection_();
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var sheet = ss.getActiveSheet();
  var range = ss.getActiveRange(); // null when nothing is selected (Spreadsheet.getActiveRange(): Range|null)
  if (!range || sheet.getSheetId() !== conn.sheetId || range.getRow() <= conn.headerRow) throw backendError_('wrong_sheet');
  var row = range.getRow();
  var cols = sheetColumns_(sheet);
  var key = cols.key ? String(sheet.getRange(row, cols.key).getValue()).trim() : '';
  return { row: row, key: Keys.isKey(key) ? key : null };
}

/**
 * Run this document's auto-sync as the current user (taking it over from a colleague who runs it).
 * → {autoSync, autoSyncBy, autoSyncMine}
 */
function turnOnAutoSync() {
  requireConnection_();
  installAutoSync_();
  return autoSyncState_();
}

/** Turn this document's auto-sync off, whoever runs it. → {autoSync: false, …} */
function turnOffAutoSync() {
  turnOffAutoSync_();
  return autoSyncState_();
}

/** Forget the amoCRM binding and the secret here and on the backend (needs the ID token). → {stage} */
function disconnect() {
  var conn = requireConnection_();
  backendRequest_('DELETE', connectionPath_(conn), { connection: conn, idToken: true });
  removeAutoSync_();
  clearConnection_();
  turnOffAutoSync_(); // recorded off, so a colleague's old trigger removes itself rather than claim it
  return { stage: 'setup' };
}

// ---- helpers -------------------------------------------------------------------------------------------

function requireConnection_() {
  var conn = loadConnection_();
  if (!conn) throw backendError_('not_registered');
  return conn;
}

/** The backend's mapping answer plus the columns holding formulas (Columns.js) in the connected tab. */
function withFormulaColumns_(conn, answer) {
  var sheet = sheetById_(SpreadsheetApp.getActiveSpreadsheet(), conn.sheetId);
  return Object.assign({}, answer, { formulaColumns: sheet ? formulaColumns_(sheet, conn.headerRow, answer.headers) : [] });
}

function sheetById_(ss, sheetId) {
  var found = ss.getSheets().filter(function (s) { return s.getSheetId() === sheetId; });
  return found.length ? found[0] : null;
}

/**
 * The backend's connection state → the sidebar's stage and account health in plain words.
 * Expected (GET /api/v1/connections/{id}): {connected, account: {domain}, health: {needs_reconnect,
 * webhook_disabled, api_blocked}, mapping (object|null), last_sync, error_count}.
 */
function describeState_(remote) {
  // remote: GET /api/v1/connections/{id} (backend/web/addon_api.py `state`)
  var amo = remote.amo || {};
  var words = [];
  var needsReconnect = Boolean(amo.host) && (amo.status === 'needs_reconnect' || amo.status === 'disconnected');
  if (needsReconnect) words.push('amoCRM access has expired: connect amoCRM again.');
  if (amo.host && amo.webhook && amo.webhook !== 'active') {
    words.push('amoCRM stopped sending changes (its webhook is off); changes there reach the sheet only on Sync now.');
  }
  if (amo.status === 'blocked') words.push('amoCRM is blocking requests from this account for now; syncing resumes by itself.');
  if (remote.last_error) words.push(remote.last_error);
  var connected = Boolean(amo.host) && !needsReconnect;
  var stage = !connected ? 'connect' : remote.mapping ? 'ready' : 'mapping';
  return {
    stage: stage,
    account: amo.host ? { domain: amo.host, name: amo.name || '' } : null,
    health: words,
    needsReconnect: needsReconnect,
    lastSync: remote.last_sync || null,
    errorCount: remote.errors || 0,
  };
}
