/*
 * The in-memory spreadsheet behind the SpreadsheetApp double. It implements the small storage
 * interface documented in README.md ("Storage interface"), so an adapter can put the Sheets emulator
 * (over HTTP) behind the same double. Rows and columns are 1-based like Apps Script; developer metadata
 * is kept in the Sheets API v4 `DeveloperMetadata` JSON shape, and follows inserted/deleted rows and
 * columns as the API documents (reference/google.md §4.3 "Movement").
 *
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});

  /** A formula cell, as a fixture gives it: {formula: '=B2*2', value: 84} (nothing here computes it). */
  const isFormula = (v) => v !== null && typeof v === 'object' && typeof v.formula === 'string';

  function copyValue(v) {
    if (isFormula(v)) return { formula: v.formula, value: copyValue(v.value === undefined ? '' : v.value) };
    return Object.prototype.toString.call(v) === '[object Date]' ? new Date(v.getTime()) : v;
  }

  function createMemoryStore(init) {
    const o = init || {};
    const meta = { spreadsheetId: o.spreadsheetId || '1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', title: o.title || 'Untitled spreadsheet' };
    meta.url = 'https://docs.google.com/spreadsheets/d/' + meta.spreadsheetId + '/edit';
    meta.timeZone = o.timeZone || 'Europe/Moscow';
    meta.locale = o.locale || 'ru_RU';
    const sheets = []; // {sheetId, title, rowCount, columnCount, cells: [[...]]}
    let metadata = []; // v4 DeveloperMetadata objects
    let nextMetadataId = 1000;
    let nextSheetId = 0;
    const editors = new Set(o.editors || []);

    function sheet(sheetId) {
      const s = sheets.find((x) => x.sheetId === sheetId);
      if (!s) throw new Error('Sheet ' + sheetId + ' does not exist');
      return s;
    }

    function props(s) {
      return { sheetId: s.sheetId, title: s.title, index: sheets.indexOf(s), rowCount: s.rowCount, columnCount: s.columnCount };
    }

    function checkBounds(s, row, column, numRows, numColumns) {
      if (row < 1 || column < 1 || numRows < 1 || numColumns < 1 || row + numRows - 1 > s.rowCount || column + numColumns - 1 > s.columnCount) {
        throw new Error('The coordinates of the range are outside the dimensions of the sheet.');
      }
    }

    const store = {
      spreadsheet: () => Object.assign({}, meta),

      sheets: () => sheets.map(props),

      addSheet(spec) {
        const sp = spec || {};
        const title = sp.title || 'Sheet' + (sheets.length + 1);
        if (sheets.some((s) => s.title === title)) {
          throw new Error('A sheet with the name "' + title + '" already exists. Please enter another name.');
        }
        const s = { sheetId: sp.sheetId !== undefined ? sp.sheetId : nextSheetId, title, rowCount: sp.rowCount || 1000, columnCount: sp.columnCount || 26, cells: [] };
        nextSheetId = Math.max(nextSheetId, s.sheetId) + 1;
        sheets.push(s);
        return props(s);
      },

      read(sheetId, row, column, numRows, numColumns, formulas) {
        const s = sheet(sheetId);
        checkBounds(s, row, column, numRows, numColumns);
        const out = [];
        for (let r = 0; r < numRows; r++) {
          const src = s.cells[row - 1 + r] || [];
          const line = [];
          for (let c = 0; c < numColumns; c++) {
            const v = src[column - 1 + c];
            if (formulas) line.push(isFormula(v) ? v.formula : '');
            else line.push(v === undefined || v === null ? '' : isFormula(v) ? copyValue(v.value) : copyValue(v));
          }
          out.push(line);
        }
        return out;
      },

      /** The formulas of a block ('' where a cell holds none), like Range.getFormulas(). */
      readFormulas(sheetId, row, column, numRows, numColumns) {
        return this.read(sheetId, row, column, numRows, numColumns, true);
      },

      write(sheetId, row, column, values) {
        const s = sheet(sheetId);
        checkBounds(s, row, column, values.length, values[0].length);
        values.forEach((line, r) => {
          const target = (s.cells[row - 1 + r] = s.cells[row - 1 + r] || []);
          line.forEach((v, c) => {
            target[column - 1 + c] = v === null || v === undefined ? '' : copyValue(v);
          });
        });
      },

      /** The last row and column that hold a value (0 when the sheet is empty). */
      extent(sheetId) {
        const s = sheet(sheetId);
        let lastRow = 0;
        let lastColumn = 0;
        s.cells.forEach((line, r) => {
          if (!line) return;
          line.forEach((v, c) => {
            if (v !== '' && v !== undefined && v !== null) {
              lastRow = Math.max(lastRow, r + 1);
              lastColumn = Math.max(lastColumn, c + 1);
            }
          });
        });
        return { lastRow, lastColumn };
      },

      /** Insert `count` rows/columns before 1-based position `before`; metadata moves with its row. */
      insertDimension(sheetId, dimension, before, count) {
        const s = sheet(sheetId);
        if (dimension === 'ROWS') {
          s.cells.splice(before - 1, 0, ...new Array(count).fill(null).map(() => []));
          s.rowCount += count;
        } else {
          s.cells.forEach((line) => line && line.splice(before - 1, 0, ...new Array(count).fill('')));
          s.columnCount += count;
        }
        shiftMetadata(sheetId, dimension, before - 1, count);
      },

      /** Delete rows/columns [start, start+count) (1-based); their metadata is deleted too. */
      deleteDimension(sheetId, dimension, start, count) {
        const s = sheet(sheetId);
        if (dimension === 'ROWS') {
          s.cells.splice(start - 1, count);
          s.rowCount -= count;
        } else {
          s.cells.forEach((line) => line && line.splice(start - 1, count));
          s.columnCount -= count;
        }
        metadata = metadata.filter((m) => !inDimension(m, sheetId, dimension, start - 1, count));
        shiftMetadata(sheetId, dimension, start - 1 + count, -count);
      },

      /** Every developer metadata entry (v4 JSON copies); the double filters them like a finder. */
      searchMetadata() {
        return metadata.map((m) => JSON.parse(JSON.stringify(m)));
      },

      createMetadata(dm) {
        if (!dm.metadataKey) throw new Error('Developer metadata needs a key.');
        const created = JSON.parse(JSON.stringify(dm));
        created.metadataId = nextMetadataId++;
        metadata.push(created);
        return JSON.parse(JSON.stringify(created));
      },

      updateMetadata(metadataId, patch) {
        const m = metadata.find((x) => x.metadataId === metadataId);
        if (!m) throw new Error('No developer metadata with id ' + metadataId);
        Object.assign(m, JSON.parse(JSON.stringify(patch)));
        return JSON.parse(JSON.stringify(m));
      },

      deleteMetadata(metadataId) {
        metadata = metadata.filter((x) => x.metadataId !== metadataId);
      },

      editors: () => Array.from(editors),
      addEditor(email) {
        editors.add(String(email).toLowerCase());
      },
    };

    function inDimension(m, sheetId, dimension, start0, count) {
      const d = m.location && m.location.dimensionRange;
      return d && d.sheetId === sheetId && d.dimension === dimension && d.startIndex >= start0 && d.startIndex < start0 + count;
    }

    function shiftMetadata(sheetId, dimension, from0, delta) {
      for (const m of metadata) {
        const d = m.location && m.location.dimensionRange;
        if (d && d.sheetId === sheetId && d.dimension === dimension && d.startIndex >= from0) {
          d.startIndex += delta;
          d.endIndex += delta;
        }
      }
    }

    for (const spec of o.sheets || [{ title: 'Sheet1', sheetId: 0 }]) {
      const p = store.addSheet(spec);
      if (spec.values && spec.values.length) {
        const width = Math.max(...spec.values.map((r) => r.length));
        store.write(p.sheetId, 1, 1, spec.values.map((r) => r.concat(new Array(width - r.length).fill(''))));
      }
    }
    return store;
  }

  ns.createMemoryStore = createMemoryStore;
})(globalThis);
