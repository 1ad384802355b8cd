/**
 * Error codes → the short sentence a person sees. One table for the whole add-on: the backend's closed
 * list (docs/openapi.yaml Problem.code, backend/errors.py Code — tests/addon/messages.test.js checks
 * that every code has a sentence) plus the add-on's own codes for failures that never reach the backend.
 * Errors travel to the sidebar as "[code] sentence" (google.script.run keeps only an error's message);
 * the sidebar shows the sentence and may act on the code.
 */
var Messages = (function () {
  var TEXT = {
    // the backend's codes
    bad_request: 'The sync service did not accept this request. Reload the sidebar and try again.',
    not_found: 'That item no longer exists. Reload the sidebar.',
    method_not_allowed: 'This version of the add-on is out of date. Reload the spreadsheet.',
    payload_too_large: 'Too much data at once. Change fewer rows at a time.',
    unsupported_media_type: 'This version of the add-on is out of date. Reload the spreadsheet.',
    internal_error: 'Something went wrong on the sync service. Try again in a minute.',
    unavailable: 'The sync service is busy or restarting. Try again in a minute.',
    http_error: 'The sync service answered with an error. Try again in a minute.',
    signature_invalid: 'The sync service did not recognise this spreadsheet. Check the computer clock, or click Set up again.',
    id_token_invalid: 'Google could not confirm who you are. Reload the spreadsheet and sign in again.',
    forbidden: 'You do not have access to this connection.',
    proof_failed: 'The sync service could not confirm you can edit this spreadsheet. Try Set up again.',
    not_connected: 'amoCRM is not connected yet. Click Connect amoCRM.',
    needs_reconnect: 'amoCRM access has expired. Click Connect amoCRM to reconnect.',
    amo_blocked: 'amoCRM is refusing requests from this account for now. Syncing resumes by itself later.',
    mapping_invalid: 'Some column settings are not valid.',
    conflict: 'Another sync is running for this sheet. Wait for it to finish.',
    rate_limited: 'Too many requests right now. Try again in a minute.',
    // the add-on's own codes
    unreachable: 'Cannot reach the sync service. Check the connection and try again; edits are kept and sent later.',
    bad_response: 'The sync service sent an answer the add-on does not understand. Reload the spreadsheet.',
    not_registered: 'This sheet is not set up yet. Open the sidebar and click Set up.',
    no_identity: 'Google did not share who you are. Reload the spreadsheet and allow the add-on\'s permissions.',
    share_failed: 'Could not share the spreadsheet with the sync service. Your domain may block sharing outside it; ask your admin.',
    busy: 'The sheet is busy with another update. Try again in a few seconds.',
    bad_key: 'That row has no valid row key yet. Edit the row or run Sync now first.',
    wrong_sheet: 'Select a row in the connected sheet first.',
    script_failed: 'The add-on stopped unexpectedly. Try again; if it keeps happening, reload the spreadsheet.',
  };

  // Worth trying again later (the trigger keeps these edits); anything else is a refusal.
  var RETRYABLE = { unreachable: true, unavailable: true, internal_error: true, http_error: true, rate_limited: true };

  /** The code for a response that is not problem+json (a proxy's error page, a bare status). */
  function codeForStatus(status) {
    if (status === 429) return 'rate_limited';
    if (status === 502 || status === 503 || status === 504) return 'unavailable';
    if (status >= 500) return 'internal_error';
    return { 400: 'bad_request', 401: 'signature_invalid', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed', 409: 'conflict', 413: 'payload_too_large', 415: 'unsupported_media_type', 422: 'mapping_invalid' }[status] || 'http_error';
  }

  function text(code) {
    return TEXT[code] || TEXT.http_error;
  }

  /** A refused response → {code, message, retryable}; `problems` (validation) are appended. */
  function forProblem(status, problem) {
    var p = problem || {};
    var code = TEXT[p.code] ? p.code : codeForStatus(status);
    var message = text(code);
    if (p.problems && p.problems.length) message += ' ' + p.problems.slice(0, 5).join(' ');
    return { code: code, message: message, retryable: Boolean(RETRYABLE[code]) || status === 503 };
  }

  /** "[code] sentence", the message of every error the server side throws. */
  function format(code, message) {
    return '[' + code + '] ' + (message || text(code));
  }

  /** Inverse of format, tolerant of the "Error: " / "Exception: " prefixes Apps Script may add. */
  function parse(raw) {
    var m = /\[([a-z_]+)\]\s*([\s\S]*)$/.exec(String(raw || ''));
    return m ? { code: m[1], message: m[2] } : { code: 'http_error', message: String(raw || '').replace(/^(Error|Exception):\s*/, '') };
  }

  return { TEXT: TEXT, RETRYABLE: RETRYABLE, codeForStatus: codeForStatus, text: text, forProblem: forProblem, format: format, parse: parse };
})();
