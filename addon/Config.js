/**
 * The add-on's fixed names and numbers, declared once. The backend URL lives here and only here; it
 * must fall under appsscript.json's urlFetchWhitelist (tests/addon/manifest.test.js checks that).
 * For a deployment, change BACKEND_URL and the whitelist together (docs/addon.md).
 */
var CONFIG = Object.freeze({
  BACKEND_URL: 'https://sync.example.com/',
  ADDON_TITLE: 'amoCRM Sync',
  // HTML files as clasp names them: the path under rootDir without the extension.
  HTML: Object.freeze({ SIDEBAR: 'addon/Sidebar', CSS: 'addon/SidebarCss', JS: 'addon/SidebarJs' }),
  HEADER_ROW: 1,
  // Column developer metadata: value = the column id, or the role of the sync's own columns.
  COLUMN_KEY: 'amo_sync_col',
  ROLES: Object.freeze({ KEY: 'key', LEAD_ID: 'lead_id', LINK: 'link', SYNC: 'sync' }),
  // DocumentProperties keys (shared by every user of the add-on in this document).
  PROP: Object.freeze({
    CONNECTION: 'amo_sync.connection_id',
    SECRET: 'amo_sync.secret',
    SHEET: 'amo_sync.sheet_id',
    HEADER_ROW: 'amo_sync.header_row',
    MAPPED: 'amo_sync.mapped_columns',
    // Undelivered rows: parts 'amo_sync.outbox.0', '.1', … (the bare key held the whole outbox before).
    OUTBOX: 'amo_sync.outbox',
    RECONCILE_OWED: 'amo_sync.reconcile_owed',
    LAST_SEND: 'amo_sync.last_send',
    // Who runs this document's auto-sync: {on, by, edit, change, at} (trigger ids; see Triggers.js).
    AUTO_SYNC: 'amo_sync.auto_sync',
  }),
  HANDLERS: Object.freeze({ EDIT: 'handleEdit', CHANGE: 'handleChange' }),
  LOCK_WAIT_MS: 10000,
  EDITS_PER_REQUEST: 500,
  // A property value holds at most 9 KB and a document's store 500 KB: parts of 8 KB, at most 8 of them.
  OUTBOX_PART_BYTES: 8 * 1024,
  OUTBOX_PARTS: 8,
  RECONCILE_QUIET_S: 30,
  // How many data rows the mapping screen looks at to tell a formula column.
  FORMULA_SAMPLE_ROWS: 20,
});
