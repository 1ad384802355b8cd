/**
 * Which rows and columns of an edit matter, and what the trigger does with them. Pure: the caller
 * reads the sheet once and passes the values in.
 *
 *  - `span`: the edited rows below the header that can hold data (none → the edit is ignored).
 *  - `planEdit`: for the whole edited rows (read in ONE getValues from column 1), decide which rows
 *    need a new key (they have data but an empty key cell), the key column to write back (existing keys
 *    untouched), and the rows to send: those whose edit touched a mapped column, with the values of every
 *    mapped column (column id → cell value) and the edit time.
 *
 * `columns` = {key: n|null, own: [n, …] (key/lead_id/link/sync), byId: {columnId: n}} (1-based numbers,
 * from the column developer metadata; see addon/Columns.js).
 */
var Rows = (function () {
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
      var values = {};
      mapped.forEach(function (id) { values[id] = cell(line[c.byId[id] - 1]); });
      rows.push({ key: key, row: row, edited_at: input.editedAt, values: values });
    });
    return { keyColumn: added ? keyColumn : null, rows: rows, skipped: skipped, unkeyed: unkeyed };
  }

  return { span: span, planEdit: planEdit, cell: cell };
})();
