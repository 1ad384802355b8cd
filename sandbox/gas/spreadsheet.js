/*
 * SpreadsheetApp double over a spreadsheet store (memory-store.js, or an adapter with the same
 * interface — see README.md). Covers what an Editor add-on uses: the active spreadsheet, sheets, ranges
 * (values, A1 notation, bounds errors with Apps Script's wording), sharing (`addEditor`), developer
 * metadata (add, find with `createDeveloperMetadataFinder().withKey().withValue().find()`, locations,
 * remove/move), toasts, and `getUi()` (ui.js).
 *
 * Scope facts (reference/google.md §1.2): everything here accepts `spreadsheets.currentonly` or
 * `spreadsheets`, except `openById`/`openByUrl`, which need the full `spreadsheets` scope.
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const { makeEnum } = ns.runtime;

  const Visibility = makeEnum(['DOCUMENT', 'PROJECT']);
  const LocationType = makeEnum(['SPREADSHEET', 'SHEET', 'ROW', 'COLUMN']);
  const SHEETS = ['spreadsheets.currentonly', 'spreadsheets'];
  const ARBITRARY_RANGE =
    'Adding developer metadata to arbitrary ranges is not currently supported. Developer metadata may only be ' +
    'added to the top-level spreadsheet, an individual sheet, or an entire row or column.';

  function letters(column) {
    let s = '';
    for (let n = column; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
    return s;
  }

  function columnNumber(text) {
    let n = 0;
    for (const ch of text.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
    return n;
  }

  /** 'A1', 'A1:C5', 'B:B', '3:5', 'A2:C' → {row, column, numRows, numColumns} on a sheet of the given size. */
  function parseA1(a1, size) {
    const parts = String(a1).toUpperCase().split(':');
    const cell = (p) => {
      const m = /^([A-Z]*)(\d*)$/.exec(p);
      if (!m || (!m[1] && !m[2])) throw new Error('Range not found');
      return { column: m[1] ? columnNumber(m[1]) : null, row: m[2] ? Number(m[2]) : null };
    };
    const a = cell(parts[0]);
    const b = parts.length > 1 ? cell(parts[1]) : a;
    const row = a.row || 1;
    const column = a.column || 1;
    const lastRow = b.row || size.rowCount;
    const lastColumn = b.column || size.columnCount;
    return { row, column, numRows: lastRow - row + 1, numColumns: lastColumn - column + 1 };
  }

  function create(ex) {
    const state = ex.state;
    const store = state.store;
    const sheetProps = (sheetId) => {
      const p = store.sheets().find((s) => s.sheetId === sheetId);
      if (!p) throw new Error('Sheet ' + sheetId + ' does not exist');
      return p;
    };
    const lockHeld = () => Boolean(state.locks.document && state.locks.document.execution === ex.id);

    // ---- developer metadata -------------------------------------------------------------------------
    function addMetadata(location, args) {
      const key = args[0];
      let value = null;
      let visibility = Visibility.DOCUMENT;
      if (args.length === 2 && Object.values(Visibility).includes(args[1])) visibility = args[1];
      else if (args.length >= 2) value = args[1] === undefined ? null : String(args[1]);
      if (args.length >= 3) visibility = args[2];
      const dm = { metadataKey: String(key), visibility: String(visibility), location };
      if (value !== null) dm.metadataValue = value;
      const created = store.createMetadata(dm);
      ex.record('DeveloperMetadata.add', { key: dm.metadataKey, value, visibility: dm.visibility, locationType: location.locationType });
      return created;
    }

    function metadataObject(m) {
      const id = m.metadataId;
      const current = () => {
        const found = store.searchMetadata().find((x) => x.metadataId === id);
        if (!found) throw new Error('The developer metadata was removed.');
        return found;
      };
      const self = {
        getId: () => id,
        getKey: () => current().metadataKey,
        getValue: () => (current().metadataValue === undefined ? null : current().metadataValue),
        getVisibility: () => Visibility[current().visibility],
        getLocation: () => locationObject(current().location),
        setKey(k) { store.updateMetadata(id, { metadataKey: String(k) }); return self; },
        setValue(v) { store.updateMetadata(id, { metadataValue: String(v) }); return self; },
        setVisibility(v) { store.updateMetadata(id, { visibility: String(v) }); return self; },
        moveToSpreadsheet() { store.updateMetadata(id, { location: { locationType: 'SPREADSHEET', spreadsheet: true } }); return self; },
        moveToSheet(sheet) { store.updateMetadata(id, { location: { locationType: 'SHEET', sheetId: sheet.getSheetId() } }); return self; },
        moveToRow(range) { store.updateMetadata(id, { location: dimensionLocation(range, 'ROWS') }); return self; },
        moveToColumn(range) { store.updateMetadata(id, { location: dimensionLocation(range, 'COLUMNS') }); return self; },
        remove() {
          ex.record('DeveloperMetadata.remove', { key: current().metadataKey });
          store.deleteMetadata(id);
        },
      };
      return self;
    }

    function dimensionLocation(range, dimension) {
      const start = dimension === 'ROWS' ? range.getRow() : range.getColumn();
      return {
        locationType: dimension === 'ROWS' ? 'ROW' : 'COLUMN',
        dimensionRange: { sheetId: range.getSheet().getSheetId(), dimension, startIndex: start - 1, endIndex: start },
      };
    }

    function locationObject(loc) {
      const type = loc.locationType;
      const d = loc.dimensionRange;
      return {
        getLocationType: () => LocationType[type],
        getSpreadsheet: () => (type === 'SPREADSHEET' ? spreadsheet : null),
        getSheet: () => (type === 'SHEET' ? sheetObject(loc.sheetId) : null),
        getRow: () => (type === 'ROW' ? sheetObject(d.sheetId).getRange(d.startIndex + 1 + ':' + (d.startIndex + 1)) : null),
        getColumn: () => (type === 'COLUMN' ? sheetObject(d.sheetId).getRange(letters(d.startIndex + 1) + ':' + letters(d.startIndex + 1)) : null),
      };
    }

    /** scope(m, intersecting) says whether a metadata entry belongs to the finder's object. */
    function finder(scope) {
      const f = { intersecting: false, id: null, key: null, value: null, type: null, visibility: null };
      const self = {
        withId(id) { f.id = id; return self; },
        withKey(k) { f.key = String(k); return self; },
        withValue(v) { f.value = String(v); return self; },
        withLocationType(t) { f.type = String(t); return self; },
        withVisibility(v) { f.visibility = String(v); return self; },
        onIntersectingLocations() { f.intersecting = true; return self; },
        find() {
          ex.record('DeveloperMetadataFinder.find', { key: f.key, value: f.value });
          return store
            .searchMetadata()
            .filter((m) => scope(m, f.intersecting))
            .filter((m) => (f.id === null || m.metadataId === f.id) && (f.key === null || m.metadataKey === f.key))
            .filter((m) => (f.value === null || m.metadataValue === f.value) && (f.type === null || m.location.locationType === f.type))
            .filter((m) => f.visibility === null || m.visibility === f.visibility)
            .map(metadataObject);
        },
      };
      return self;
    }

    const onSheet = (sheetId) => (m) =>
      (m.location.locationType === 'SHEET' && m.location.sheetId === sheetId) ||
      (m.location.dimensionRange && m.location.dimensionRange.sheetId === sheetId);

    // ---- ranges ----------------------------------------------------------------------------------------
    function rangeObject(sheetId, row, column, numRows, numColumns) {
      const size = sheetProps(sheetId);
      if (row < 1) throw new Error('The starting row of the range is too small.');
      if (column < 1) throw new Error('The starting column of the range is too small.');
      if (numRows < 1) throw new Error('The number of rows in the range must be at least 1.');
      if (numColumns < 1) throw new Error('The number of columns in the range must be at least 1.');
      if (row + numRows - 1 > size.rowCount || column + numColumns - 1 > size.columnCount) {
        throw new Error('The coordinates of the range are outside the dimensions of the sheet.');
      }
      const a1 = () => {
        const full = sheetProps(sheetId);
        if (column === 1 && numColumns === full.columnCount) return row + ':' + (row + numRows - 1);
        if (row === 1 && numRows === full.rowCount) return letters(column) + ':' + letters(column + numColumns - 1);
        const start = letters(column) + row;
        return numRows === 1 && numColumns === 1 ? start : start + ':' + letters(column + numColumns - 1) + (row + numRows - 1);
      };
      const wholeRows = () => column === 1 && numColumns === sheetProps(sheetId).columnCount;
      const wholeColumns = () => row === 1 && numRows === sheetProps(sheetId).rowCount;
      const self = {
        getRow: () => row,
        getColumn: () => column,
        getLastRow: () => row + numRows - 1,
        getLastColumn: () => column + numColumns - 1,
        getNumRows: () => numRows,
        getNumColumns: () => numColumns,
        getSheet: () => sheetObject(sheetId),
        getA1Notation: a1,
        getCell: (r, c) => rangeObject(sheetId, row + r - 1, column + c - 1, 1, 1),
        offset: (r, c, nr, nc) => rangeObject(sheetId, row + r, column + c, nr || numRows, nc || numColumns),
        getValues() {
          ex.record('Range.getValues', { sheetId, a1: a1() });
          return store.read(sheetId, row, column, numRows, numColumns);
        },
        getValue: () => store.read(sheetId, row, column, 1, 1)[0][0],
        /** '' where a cell holds no formula (a store without readFormulas has none). */
        getFormulas() {
          ex.record('Range.getFormulas', { sheetId, a1: a1() });
          if (store.readFormulas) return store.readFormulas(sheetId, row, column, numRows, numColumns);
          return new Array(numRows).fill(null).map(() => new Array(numColumns).fill(''));
        },
        getDisplayValues: () => store.read(sheetId, row, column, numRows, numColumns).map((line) => line.map((v) => String(v))),
        setValues(values) {
          if (!Array.isArray(values) || values.length !== numRows) {
            throw new Error('The number of rows in the data does not match the number of rows in the range. The data has ' + (values || []).length + ' but the range has ' + numRows + '.');
          }
          for (const line of values) {
            if (line.length !== numColumns) {
              throw new Error('The number of columns in the data does not match the number of columns in the range. The data has ' + line.length + ' but the range has ' + numColumns + '.');
            }
          }
          ex.record('Range.setValues', { sheetId, a1: a1(), documentLockHeld: lockHeld() });
          store.write(sheetId, row, column, values);
          return self;
        },
        setValue(v) {
          return self.setValues(new Array(numRows).fill(null).map(() => new Array(numColumns).fill(v)));
        },
        clearContent() {
          return self.setValue('');
        },
        activate() {
          state.active = { sheetId, range: { row, column, numRows, numColumns } };
          return self;
        },
        addDeveloperMetadata(...args) {
          if (numRows === 1 && wholeRows()) addMetadata(dimensionLocation(self, 'ROWS'), args);
          else if (numColumns === 1 && wholeColumns()) addMetadata(dimensionLocation(self, 'COLUMNS'), args);
          else throw new Error(ARBITRARY_RANGE);
          return self;
        },
        getDeveloperMetadata: () => self.createDeveloperMetadataFinder().find(),
        createDeveloperMetadataFinder: () =>
          finder((m, intersecting) => {
            const d = m.location.dimensionRange;
            if (!d || d.sheetId !== sheetId) return false;
            const isRow = d.dimension === 'ROWS';
            const index = d.startIndex + 1;
            const [first, count] = isRow ? [row, numRows] : [column, numColumns];
            const inside = index >= first && index < first + count;
            return intersecting ? inside : inside && (isRow ? wholeRows() : wholeColumns());
          }),
      };
      return self;
    }

    // ---- sheets ----------------------------------------------------------------------------------------
    function sheetObject(sheetId) {
      sheetProps(sheetId);
      const self = {
        getSheetId: () => sheetId,
        getName: () => sheetProps(sheetId).title,
        getIndex: () => sheetProps(sheetId).index + 1,
        getParent: () => spreadsheet,
        getMaxRows: () => sheetProps(sheetId).rowCount,
        getMaxColumns: () => sheetProps(sheetId).columnCount,
        getLastRow: () => store.extent(sheetId).lastRow,
        getLastColumn: () => store.extent(sheetId).lastColumn,
        getRange(a, b, c, d) {
          if (typeof a === 'string') {
            const r = parseA1(a, sheetProps(sheetId));
            return rangeObject(sheetId, r.row, r.column, r.numRows, r.numColumns);
          }
          return rangeObject(sheetId, a, b, c === undefined ? 1 : c, d === undefined ? 1 : d);
        },
        getDataRange() {
          const e = store.extent(sheetId);
          return rangeObject(sheetId, 1, 1, Math.max(1, e.lastRow), Math.max(1, e.lastColumn));
        },
        appendRow(values) {
          const last = store.extent(sheetId).lastRow;
          if (last + 1 > sheetProps(sheetId).rowCount) store.insertDimension(sheetId, 'ROWS', last + 1, 1);
          if (values.length > sheetProps(sheetId).columnCount) {
            store.insertDimension(sheetId, 'COLUMNS', sheetProps(sheetId).columnCount + 1, values.length - sheetProps(sheetId).columnCount);
          }
          store.write(sheetId, last + 1, 1, [values]);
          return self;
        },
        insertRowsBefore(before, n) { store.insertDimension(sheetId, 'ROWS', before, n); return self; },
        insertRowsAfter(after, n) { store.insertDimension(sheetId, 'ROWS', after + 1, n); return self; },
        insertRowBefore: (before) => self.insertRowsBefore(before, 1),
        insertRowAfter: (after) => self.insertRowsAfter(after, 1),
        deleteRows(start, n) { store.deleteDimension(sheetId, 'ROWS', start, n); return self; },
        deleteRow: (row) => self.deleteRows(row, 1),
        insertColumnsBefore(before, n) { store.insertDimension(sheetId, 'COLUMNS', before, n); return self; },
        insertColumnBefore: (before) => self.insertColumnsBefore(before, 1),
        deleteColumns(start, n) { store.deleteDimension(sheetId, 'COLUMNS', start, n); return self; },
        deleteColumn: (column) => self.deleteColumns(column, 1),
        activate() { state.active = { sheetId, range: null }; return self; },
        getActiveRange: () => spreadsheet.getActiveRange(),
        getActiveCell: () => spreadsheet.getActiveCell(),
        addDeveloperMetadata(...args) {
          addMetadata({ locationType: 'SHEET', sheetId }, args);
          return self;
        },
        getDeveloperMetadata: () => finder((m) => m.location.locationType === 'SHEET' && m.location.sheetId === sheetId).find(),
        createDeveloperMetadataFinder: () => finder(onSheet(sheetId)),
      };
      return self;
    }

    // ---- the spreadsheet ---------------------------------------------------------------------------------
    const activeSheetId = () => {
      const all = store.sheets();
      return all.some((s) => s.sheetId === state.active.sheetId) ? state.active.sheetId : all[0].sheetId;
    };
    const spreadsheet = {
      getId: () => store.spreadsheet().spreadsheetId,
      getName: () => store.spreadsheet().title,
      getUrl: () => store.spreadsheet().url,
      getSpreadsheetTimeZone: () => store.spreadsheet().timeZone,
      getSpreadsheetLocale: () => store.spreadsheet().locale,
      getSheets: () => store.sheets().map((s) => sheetObject(s.sheetId)),
      getSheetByName(name) {
        const s = store.sheets().find((x) => x.title === name);
        return s ? sheetObject(s.sheetId) : null;
      },
      getSheetById(id) {
        const s = store.sheets().find((x) => x.sheetId === id);
        return s ? sheetObject(s.sheetId) : null;
      },
      insertSheet(title) {
        return sheetObject(store.addSheet({ title }).sheetId);
      },
      getActiveSheet: () => sheetObject(activeSheetId()),
      setActiveSheet(sheet) {
        state.active = { sheetId: sheet.getSheetId(), range: null };
        return sheet;
      },
      /** "The selected range in the active sheet, or null if there is no active range" (Selection reference). */
      getActiveRange() {
        const r = state.active.sheetId === activeSheetId() && state.active.range;
        return r ? rangeObject(activeSheetId(), r.row, r.column, r.numRows, r.numColumns) : null;
      },
      getActiveCell() {
        const r = spreadsheet.getActiveRange();
        return r ? rangeObject(r.getSheet().getSheetId(), r.getRow(), r.getColumn(), 1, 1) : rangeObject(activeSheetId(), 1, 1, 1, 1);
      },
      getRange(a1) {
        const [name, ref] = String(a1).includes('!') ? String(a1).split('!') : [null, a1];
        const sheet = name ? spreadsheet.getSheetByName(name.replace(/^'|'$/g, '')) : spreadsheet.getActiveSheet();
        if (!sheet) throw new Error('Range not found');
        return sheet.getRange(ref);
      },
      getEditors: () => store.editors().map((email) => ({ getEmail: () => email })),
      addEditor(user) {
        ex.check('Spreadsheet.addEditor', 'FULL', SHEETS);
        const email = typeof user === 'string' ? user : user.getEmail();
        ex.record('Spreadsheet.addEditor', { email });
        store.addEditor(email);
        return spreadsheet;
      },
      toast(message, title, timeoutSeconds) {
        state.ui.toasts.push({ message: String(message), title: title || '', timeoutSeconds, execution: ex.id });
      },
      addDeveloperMetadata(...args) {
        addMetadata({ locationType: 'SPREADSHEET', spreadsheet: true }, args);
        return spreadsheet;
      },
      getDeveloperMetadata: () => finder((m) => m.location.locationType === 'SPREADSHEET').find(),
      createDeveloperMetadataFinder: () => finder(() => true),
    };

    const active = (method) => () => {
      ex.check('SpreadsheetApp.' + method, 'LIMITED', SHEETS);
      return spreadsheet;
    };
    return {
      DeveloperMetadataVisibility: Visibility,
      DeveloperMetadataLocationType: LocationType,
      getActiveSpreadsheet: active('getActiveSpreadsheet'),
      getActive: active('getActive'),
      getActiveSheet: () => active('getActiveSheet')().getActiveSheet(),
      getActiveRange: () => active('getActiveRange')().getActiveRange(),
      openById() {
        ex.check('SpreadsheetApp.openById', 'FULL', ['spreadsheets']);
        return spreadsheet;
      },
      openByUrl() {
        ex.check('SpreadsheetApp.openByUrl', 'FULL', ['spreadsheets']);
        return spreadsheet;
      },
      flush() {
        ex.record('SpreadsheetApp.flush');
      },
      getUi: () => ns.createUi(ex),
    };
  }

  ns.createSpreadsheetApp = create;
  ns.a1 = { letters, columnNumber, parseA1 };
})(globalThis);
