/**
 * Which rows and columns of an edit matter, and what the trigger does with them. Pure: the caller
 * reads the sheet once and passes the values in.
 *
 *  - `span`: the edited rows below the header that can hold data (none → the edit is ignored).
 *  - `planEdit`: for the whole edited rows (read in ONE getValues from column 1), decide which rows
 *    need a new key (they have data but an empty key cell), the key column to write back (existing keys
 *    untouched), and the rows to send: those whose edit touched a mapped column, with the values of every
 *    mapped column (column id → cell value), the lead-id cell when it holds one, and the edit time.
 *  - `locate`, `answerWrites`: where an answered row is now (by key) and which of its cells to write
 *    from the backend's answer (lead id, link, status; canonical values of cells nobody retyped).
 *  - `headers`: the header of every mapped and system column, sent with the rows: a header renamed
 *    into another field's name means the column's values may not be what the mapping says.
 *
 * `columns` = {key: n|null, own: [n, …], roles: {key|lead_id|link|sync: n}, byId: {columnId: n}} (1-based,
 * from the column developer metadata; see addon/Columns.js).
 */
var Rows = (function () {
  var ROLE_LEAD_ID = 'lead_id';

  /** Rows [first, last] of an edit, cut to below `headerRow` and to `lastDataRow`; null if nothing is left. */
  function span(first, last, headerRow, lastDataRow) {
    var from = Math.max(first, headerRow + 1);
    var to = Math.min(last, lastDataRow);
    return from <= to ? { first: from, last: to } : null;
  }

  function isEmpty(v) {
    return v === '' || v === null || v === undefined;
  }

  /** A cell as JSON: dates as ISO strings (Sheets gives Date objects), everything else as is. */
  function cell(v) {
    if (Object.prototype.toString.call(v) === '[object Date]') return v.toISOString();
    return isEmpty(v) ? '' : v;
  }

  /**
   * input = {values, firstRow, editedColumns: {first, last}, columns, mapped: [columnId], editedAt (ms),
   *          newKey: (() => string) | null (null: keys cannot be written now), isKey: (string) => boolean}
   * → {keyColumn: [[key]] | null, rows: [{key, row, edited_at, values}], skipped: [{row, reason}],
   *    unkeyed: number of rows with data left without a key}
   */
  function planEdit(input) {
    var c = input.columns;
    var own = {};
    (c.own || []).forEach(function (n) { own[n] = true; });
    var mapped = (input.mapped || []).filter(function (id) { return c.byId[id]; });
    var touched = mapped.some(function (id) {
      return c.byId[id] >= input.editedColumns.first && c.byId[id] <= input.editedColumns.last;
    });
    var keyColumn = [];
    var added = false;
    var rows = [];
    var skipped = [];
    var unkeyed = 0;
    input.values.forEach(function (line, i) {
      var row = input.firstRow + i;
      var key = isEmpty(line[c.key - 1]) ? '' : String(line[c.key - 1]).trim();
      var hasData = line.some(function (v, j) { return !own[j + 1] && !isEmpty(v); });
      if (!key && hasData) {
        key = input.newKey ? input.newKey() : '';
        if (key) added = true;
        else unkeyed++;
      }
      keyColumn.push([key]);
      if (!key || !touched) return;
      if (!input.isKey(key)) {
        skipped.push({ row: row, reason: 'the key cell holds "' + key + '", not a row key' });
        return;
      }
      var sent = { key: key, row: row, edited_at: input.editedAt };
      fill(sent, line, c, mapped);
      // the columns this edit touched: the backend takes only those as the person's; any other value
      // that differs from what both sides last agreed goes to a run that reads the sheet
      sent.edited = mapped.filter(function (id) {
        return c.byId[id] >= input.editedColumns.first && c.byId[id] <= input.editedColumns.last;
      });
      rows.push(sent);
    });
    return { keyColumn: added ? keyColumn : null, rows: rows, skipped: skipped, unkeyed: unkeyed };
  }

  /** `sent.values` (every mapped column found, by id) and `sent.lead_id` from the row's cells `line`. */
  function fill(sent, line, c, mapped) {
    sent.values = {};
    mapped.forEach(function (id) { sent.values[id] = cell(line[c.byId[id] - 1]); });
    var leadAt = c.roles && c.roles[ROLE_LEAD_ID];
    if (leadAt && !isEmpty(line[leadAt - 1])) sent.lead_id = cell(line[leadAt - 1]);
    else delete sent.lead_id;
    return sent;
  }

  /**
   * Rows queued by an earlier execution, read again right before they are sent: what they hold now, not
   * what they held at the edit (a run may have written them since, a sort or a cut moved them). A row
   * whose key is gone or stands in more than one row goes without values: only the backend's read of the
   * whole sheet can tell. `keyColumn` [[key], …] from `firstRow`; `lineAt(row)` → that row's cells.
   */
  function refresh(rows, keyColumn, firstRow, lineAt, columns, mapped) {
    var at = {};
    var count = {};
    (keyColumn || []).forEach(function (line, i) {
      var k = isEmpty(line[0]) ? '' : String(line[0]).trim();
      if (!k) return;
      count[k] = (count[k] || 0) + 1;
      if (!(k in at)) at[k] = firstRow + i;
    });
    var ids = (mapped || []).filter(function (id) { return columns.byId[id]; });
    return rows.map(function (r) {
      var out = { key: r.key, edited_at: r.edited_at };
      if (count[r.key] !== 1 || !r.values) return out;
      out.row = at[r.key];
      if (r.edited) out.edited = r.edited.slice();
      return fill(out, lineAt(out.row), columns, ids);
    });
  }

  /**
   * A row whose key stands in more than one row (a synced row copied with its key cells) is sent
   * without values: only the backend's read of the whole sheet can tell the original from the copy.
   * `keyColumn`: the key column's values ([[key], …]). Changes `rows` in place.
   */
  function withoutValuesWhereKeyRepeats(rows, keyColumn) {
    var seen = {};
    (keyColumn || []).forEach(function (line) {
      var k = isEmpty(line[0]) ? '' : String(line[0]).trim();
      if (k) seen[k] = (seen[k] || 0) + 1;
    });
    rows.forEach(function (r) {
      if (seen[r.key] > 1) delete r.values;
    });
    return rows;
  }

  /** The 1-based sheet row of each key in `keys`, from the key column's values (read from `firstRow`). */
  function locate(keyColumn, firstRow, keys) {
    var wanted = {};
    (keys || []).forEach(function (k) { wanted[k] = true; });
    var at = {};
    (keyColumn || []).forEach(function (line, i) {
      var k = isEmpty(line[0]) ? '' : String(line[0]).trim();
      if (wanted[k] && !(k in at)) at[k] = firstRow + i;
    });
    return at;
  }

  /**
   * The cells to write for one answered row → [{column: n, value}]. `line` is the row as it is now,
   * `answer.cells` {role or column id: value} from the backend, `sent` the row as the edit sent it.
   * The sync's own columns (lead id, link, status) are always written; a mapped column only while it
   * still holds what was sent — a person typing again meanwhile wins, and that edit is on its way.
   */
  function answerWrites(line, answer, sent, columns) {
    var out = [];
    var cells = (answer && answer.cells) || {};
    Object.keys(cells).forEach(function (name) {
      var n = (columns.roles && columns.roles[name]) || null;
      if (n) {
        out.push({ column: n, value: cells[name] });
        return;
      }
      n = columns.byId[name];
      if (!n || !sent || !sent.values || !(name in sent.values)) return;
      if (cell(line[n - 1]) === sent.values[name]) out.push({ column: n, value: cells[name] });
    });
    return out.sort(function (a, b) { return a.column - b.column; });
  }

  /**
   * The header row's text of each mapped column and of the sync's own columns → {column id or role:
   * text}. `line` is the header row's cells. A column the sheet does not have is left out: the backend
   * then reads the sheet and says which one is missing.
   */
  function headers(line, columns, mapped) {
    var out = {};
    (mapped || []).forEach(function (id) {
      var n = columns.byId[id];
      if (n) out[id] = String(cell(line[n - 1])).trim();
    });
    Object.keys(columns.roles || {}).forEach(function (role) {
      out[role] = String(cell(line[columns.roles[role] - 1])).trim();
    });
    return out;
  }

  return {
    span: span,
    headers: headers,
    planEdit: planEdit,
    cell: cell,
    locate: locate,
    answerWrites: answerWrites,
    refresh: refresh,
    withoutValuesWhereKeyRepeats: withoutValuesWhereKeyRepeats,
  };
})();
