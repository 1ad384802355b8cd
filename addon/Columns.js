/**
 * Where the sync's columns are, found by column developer metadata (key CONFIG.COLUMN_KEY; value = the
 * column id, or the role — key, lead_id, link, sync — for the sync's own columns). Metadata stays on
 * its column when columns are moved, inserted or renamed, so headers can change freely
 * (ARCHITECTURE §3). Positions are cached for this execution only: Apps Script starts every execution
 * with fresh globals, so a person moving a column is seen by the next trigger run.
 */

var columnsCache_ = {};

/** {key: n|null, roles: {role: n}, own: [n], byId: {columnId: n}} for a sheet, 1-based. */
function sheetColumns_(sheet) {
  var id = sheet.getSheetId();
  if (columnsCache_[id]) return columnsCache_[id];
  var roles = {};
  var byId = {};
  var isRole = {};
  Object.keys(CONFIG.ROLES).forEach(function (k) { isRole[CONFIG.ROLES[k]] = true; });
  sheet
    .createDeveloperMetadataFinder()
    .withKey(CONFIG.COLUMN_KEY)
    .withLocationType(SpreadsheetApp.DeveloperMetadataLocationType.COLUMN)
    .find()
    .forEach(function (m) {
      var n = m.getLocation().getColumn().getColumn();
      if (isRole[m.getValue()]) roles[m.getValue()] = n;
      else byId[m.getValue()] = n;
    });
  var own = Object.keys(roles).map(function (r) { return roles[r]; });
  columnsCache_[id] = { key: roles[CONFIG.ROLES.KEY] || null, roles: roles, own: own, byId: byId };
  return columnsCache_[id];
}

/**
 * The columns among `headers` ({column, index (0-based)} from the backend's mapping answers) that hold
 * formulas in their first data rows — one getFormulas call. Formula results change without an edit,
 * and fire no edit trigger, so the mapping screen warns about these columns.
 */
function formulaColumns_(sheet, headerRow, headers) {
  var rows = Math.min(CONFIG.FORMULA_SAMPLE_ROWS, sheet.getLastRow() - headerRow);
  var width = sheet.getLastColumn();
  if (rows < 1 || width < 1) return [];
  var formulas = sheet.getRange(headerRow + 1, 1, rows, width).getFormulas();
  var byId = sheetColumns_(sheet).byId;
  return (headers || [])
    .filter(function (h) {
      var n = typeof h.index === 'number' ? h.index + 1 : byId[h.column];
      return n >= 1 && n <= width && formulas.some(function (line) { return line[n - 1] !== ''; });
    })
    .map(function (h) { return h.column; });
}
