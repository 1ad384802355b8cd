/**
 * Registering this document with the backend, with proof of control (ARCHITECTURE §5): knowing a
 * spreadsheet id proves nothing, so the backend issues a challenge that only an editor can write —
 * spreadsheet-level developer metadata with DOCUMENT visibility (PROJECT metadata would be invisible
 * to the backend's own GCP project, reference/google.md §0.4) — and reads it back through the Sheets
 * API with its service account, which the add-on first adds as an editor (allowed under
 * spreadsheets.currentonly). The challenge metadata is removed whatever the outcome.
 */

/** → {connectionId, created, sheetTitle}; stores the connection in DocumentProperties. */
function register_() {
  var ss = SpreadsheetApp.getActiveSpreadsheet();
  var sheet = ss.getActiveSheet();
  var request = { spreadsheet_id: ss.getId(), sheet_id: sheet.getSheetId(), sheet_title: sheet.getName() };
  var challenge = backendRequest_('POST', '/register/challenge', { body: request, idToken: true, signed: false });
  ['challenge_id', 'metadata_key', 'metadata_value', 'service_account_email'].forEach(function (field) {
    if (!challenge[field]) throw backendError_('bad_response');
  });
  shareWithBackend_(ss, challenge.service_account_email);
  ss.addDeveloperMetadata(challenge.metadata_key, challenge.metadata_value, SpreadsheetApp.DeveloperMetadataVisibility.DOCUMENT);
  var done;
  try {
    SpreadsheetApp.flush(); // the backend reads the metadata while this script still runs
    done = backendRequest_('POST', '/register', {
      body: { spreadsheet_id: request.spreadsheet_id, sheet_id: request.sheet_id, sheet_title: request.sheet_title, challenge_id: challenge.challenge_id },
      idToken: true,
      signed: false,
    });
  } finally {
    removeChallenge_(ss, challenge);
  }
  if (!done.connection_id || !done.secret) throw backendError_('bad_response');
  saveConnection_({ id: done.connection_id, secret: done.secret, sheetId: sheet.getSheetId(), headerRow: CONFIG.HEADER_ROW });
  return { connectionId: done.connection_id, created: Boolean(done.created), sheetTitle: sheet.getName() };
}

/** Give the backend's service account edit access (it writes lead ids and statuses back). */
function shareWithBackend_(ss, email) {
  var wanted = String(email).toLowerCase();
  var already = ss.getEditors().some(function (u) { return String(u.getEmail()).toLowerCase() === wanted; });
  if (already) return;
  try {
    ss.addEditor(email);
  } catch (e) {
    console.warn('register: sharing with the service account failed: ' + e.message);
    throw backendError_('share_failed');
  }
}

function removeChallenge_(ss, challenge) {
  ss.createDeveloperMetadataFinder()
    .withKey(challenge.metadata_key)
    .withValue(challenge.metadata_value)
    .find()
    .forEach(function (m) { m.remove(); });
}
