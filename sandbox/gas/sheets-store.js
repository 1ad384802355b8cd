/*
 * A spreadsheet store (README.md "Storage interface") over the Sheets emulator's HTTP API, so the
 * add-on's SpreadsheetApp calls see the same spreadsheet the backend reads through the Sheets API.
 *
 *   const store = GasDoubles.createSheetsStore({transport, baseUrl: 'http://127.0.0.1:8802',
 *                                               spreadsheetId, user: 'owner@example.com'});
 *
 * Which door each call uses, and why:
 *  - the script's own reads and writes (Range.getValues/setValues, insert/delete rows, developer
 *    metadata) go to `/_sandbox/script/v4/…` (sandbox/sheets/script_access.py): the real v4 handlers,
 *    acting as `user`, but — like Apps Script's SpreadsheetApp — not counted against any Sheets API
 *    quota (least of all the backend's service account's), never faulted, and not logged as a person's
 *    edit. Writes use USER_ENTERED, as Range.setValues parses strings ("42" becomes a number).
 *  - `userWrite` (a person typing or pasting; gas.js userEdit) goes to `/_sandbox/…/ui/edit-cells`,
 *    logged as an edit with changeType EDIT, as the Sheets UI would.
 *  - sharing (getEditors/addEditor, which is Drive in Apps Script) uses `/_sandbox/…/editors`.
 * Sheet properties are cached for one execution (gas.js calls beginExecution) and dropped after any
 * structural change made through this store; values and metadata are always read fresh.
 *
 * `transport` is a synchronous HTTP function (urlfetch.js contract): node.js's syncHttpTransport() in
 * Node, createXhrTransport() in a browser. Portable: plain JS on globalThis.GasDoubles; load after
 * utilities.js.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const b = ns.bytes;
  const OUTSIDE = 'The coordinates of the range are outside the dimensions of the sheet.';

  function isDate(v) {
    return Object.prototype.toString.call(v) === '[object Date]';
  }

  function createSheetsStore(options) {
    const o = options || {};
    if (!o.transport || !o.baseUrl || !o.spreadsheetId || !o.user) {
      throw new Error('createSheetsStore needs transport, baseUrl, spreadsheetId and user');
    }
    const base = String(o.baseUrl).replace(/\/+$/, '');
    const id = encodeURIComponent(o.spreadsheetId);
    const asScript = { 'X-Sandbox-Script-User': o.user, 'X-Sandbox-Script-Project': o.project || 'apps-script' };
    let cached = null; // {spreadsheet, sheets} for the current execution

    /** One JSON call; an emulator error becomes an Error with Google's message (or Apps Script's). */
    function http(method, path, body, headers) {
      const h = Object.assign({ Accept: 'application/json' }, headers || {});
      if (body !== undefined) h['Content-Type'] = 'application/json';
      const res = o.transport({
        url: base + path,
        method,
        headers: h,
        body: body === undefined ? null : b.utf8Encode(JSON.stringify(body)),
        followRedirects: false,
        timeoutMs: 30000,
      });
      const text = b.utf8Decode(res.body || []);
      let json = null;
      try {
        json = text ? JSON.parse(text) : {};
      } catch (e) {
        json = null;
      }
      if (res.status >= 200 && res.status < 300 && json !== null) return json;
      const message = (json && json.error && json.error.message) || 'Sheets sandbox answered ' + res.status;
      if (/exceeds grid limits/.test(message)) throw new Error(OUTSIDE);
      throw new Error(message);
    }
    const script = (method, v4, body) => http(method, '/_sandbox/script/v4/spreadsheets/' + id + v4, body, asScript);
    const admin = (method, path, body) => http(method, '/_sandbox/spreadsheets/' + id + path, body);
    const batchUpdate = (requests) => script('POST', ':batchUpdate', { requests }).replies || [];

    function load() {
      if (cached) return cached;
      const fields = encodeURIComponent('spreadsheetId,properties(title,locale,timeZone),sheets.properties');
      const ss = script('GET', '?fields=' + fields);
      const p = ss.properties || {};
      cached = {
        spreadsheet: {
          spreadsheetId: ss.spreadsheetId,
          title: p.title,
          url: 'https://docs.google.com/spreadsheets/d/' + ss.spreadsheetId + '/edit', // what getUrl() gives
          timeZone: p.timeZone || 'Etc/UTC',
          locale: p.locale || 'en_US',
        },
        sheets: (ss.sheets || []).map((s) => ({
          sheetId: s.properties.sheetId,
          title: s.properties.title,
          index: s.properties.index || 0,
          rowCount: s.properties.gridProperties.rowCount,
          columnCount: s.properties.gridProperties.columnCount,
        })),
      };
      return cached;
    }
    const changed = () => (cached = null);

    function sheet(sheetId) {
      const s = load().sheets.find((x) => x.sheetId === sheetId);
      if (!s) throw new Error('Sheet ' + sheetId + ' does not exist');
      return s;
    }

    function checkedGrid(sheetId, row, column, numRows, numColumns) {
      const s = sheet(sheetId);
      if (row < 1 || column < 1 || numRows < 1 || numColumns < 1 || row + numRows - 1 > s.rowCount || column + numColumns - 1 > s.columnCount) {
        throw new Error(OUTSIDE);
      }
      return { sheetId, startRowIndex: row - 1, endRowIndex: row - 1 + numRows, startColumnIndex: column - 1, endColumnIndex: column - 1 + numColumns };
    }

    /** A JS value as Range.setValues hands it to Sheets: Dates as local date-time text, null as ''. */
    function toCell(v) {
      if (v === null || v === undefined) return '';
      if (isDate(v)) return ns.formatDate(v, load().spreadsheet.timeZone, 'yyyy-MM-dd HH:mm:ss');
      return v;
    }

    const fromCell = (v) => (v === null || v === undefined ? '' : v);

    function dimensionRange(sheetId, dimension, start0, count) {
      return { sheetId, dimension, startIndex: start0, endIndex: start0 + count };
    }

    /** A DeveloperMetadataLocation for a create/update request (locationType is output only). */
    function requestLocation(location) {
      const l = Object.assign({}, location);
      delete l.locationType;
      return l;
    }

    const store = {
      /** Sheet properties are re-read at the start of every execution. */
      beginExecution: changed,

      spreadsheet: () => Object.assign({}, load().spreadsheet),

      sheets: () => load().sheets.map((s) => Object.assign({}, s)),

      addSheet(spec) {
        const sp = spec || {};
        const properties = { title: sp.title, gridProperties: { rowCount: sp.rowCount || 1000, columnCount: sp.columnCount || 26 } };
        if (sp.sheetId !== undefined) properties.sheetId = sp.sheetId;
        let reply;
        try {
          reply = batchUpdate([{ addSheet: { properties } }])[0].addSheet.properties;
        } finally {
          changed();
        }
        return sheet(reply.sheetId);
      },

      read(sheetId, row, column, numRows, numColumns, formulas) {
        const gridRange = checkedGrid(sheetId, row, column, numRows, numColumns);
        const res = script('POST', '/values:batchGetByDataFilter', {
          dataFilters: [{ gridRange }],
          majorDimension: 'ROWS',
          valueRenderOption: formulas ? 'FORMULA' : 'UNFORMATTED_VALUE',
          dateTimeRenderOption: 'SERIAL_NUMBER',
        });
        const got = (res.valueRanges && res.valueRanges[0] && res.valueRanges[0].valueRange.values) || [];
        const out = [];
        for (let r = 0; r < numRows; r++) {
          const line = got[r] || [];
          const cells = [];
          for (let c = 0; c < numColumns; c++) {
            const v = fromCell(line[c]);
            cells.push(formulas ? (typeof v === 'string' && v.startsWith('=') ? v : '') : v);
          }
          out.push(cells);
        }
        return out;
      },

      /** Range.getFormulas(): the FORMULA rendering, '' where a cell holds a plain value. */
      readFormulas(sheetId, row, column, numRows, numColumns) {
        return this.read(sheetId, row, column, numRows, numColumns, true);
      },

      write(sheetId, row, column, values) {
        const gridRange = checkedGrid(sheetId, row, column, values.length, values[0].length);
        script('POST', '/values:batchUpdateByDataFilter', {
          valueInputOption: 'USER_ENTERED',
          data: [{ dataFilter: { gridRange }, majorDimension: 'ROWS', values: values.map((line) => line.map(toCell)) }],
        });
      },

      /** A person types or pastes `values` at (row, column): the Sheets UI's edit, logged with changeType EDIT. */
      userWrite(sheetId, row, column, values) {
        checkedGrid(sheetId, row, column, values.length, values[0].length);
        const s = sheet(sheetId);
        const a1 = "'" + s.title.replace(/'/g, "''") + "'!" + ns.a1.letters(column) + row;
        admin('POST', '/ui/edit-cells', { user: o.user, range: a1, values: values.map((line) => line.map(toCell)) });
      },

      extent(sheetId) {
        sheet(sheetId);
        const res = script('POST', '/values:batchGetByDataFilter', { dataFilters: [{ gridRange: { sheetId } }], majorDimension: 'ROWS' });
        const got = (res.valueRanges && res.valueRanges[0] && res.valueRanges[0].valueRange.values) || [];
        let lastRow = 0;
        let lastColumn = 0;
        got.forEach((line, r) => {
          if (line && line.length) {
            lastRow = r + 1; // the API trims trailing empty cells, so a non-empty line has a value
            lastColumn = Math.max(lastColumn, line.length);
          }
        });
        return { lastRow, lastColumn };
      },

      insertDimension(sheetId, dimension, before, count) {
        try {
          batchUpdate([{ insertDimension: { range: dimensionRange(sheetId, dimension, before - 1, count), inheritFromBefore: before > 1 } }]);
        } finally {
          changed();
        }
      },

      deleteDimension(sheetId, dimension, start, count) {
        try {
          batchUpdate([{ deleteDimension: { range: dimensionRange(sheetId, dimension, start - 1, count) } }]);
        } finally {
          changed();
        }
      },

      searchMetadata() {
        const res = script('POST', '/developerMetadata:search', { dataFilters: [{ developerMetadataLookup: {} }] });
        return (res.matchedDeveloperMetadata || []).map((m) => m.developerMetadata);
      },

      createMetadata(dm) {
        if (!dm.metadataKey) throw new Error('Developer metadata needs a key.');
        const body = Object.assign({}, dm, { location: requestLocation(dm.location) });
        return batchUpdate([{ createDeveloperMetadata: { developerMetadata: body } }])[0].createDeveloperMetadata.developerMetadata;
      },

      updateMetadata(metadataId, patch) {
        const p = Object.assign({}, patch);
        if (p.location) p.location = requestLocation(p.location);
        const [reply] = batchUpdate([
          {
            updateDeveloperMetadata: {
              dataFilters: [{ developerMetadataLookup: { metadataId } }],
              developerMetadata: p,
              fields: Object.keys(p).join(','),
            },
          },
        ]);
        const updated = reply.updateDeveloperMetadata.developerMetadata || [];
        if (!updated.length) throw new Error('No developer metadata with id ' + metadataId);
        return updated[0];
      },

      deleteMetadata(metadataId) {
        batchUpdate([{ deleteDeveloperMetadata: { dataFilter: { developerMetadataLookup: { metadataId } } } }]);
      },

      editors() {
        const s = admin('GET', '/editors');
        return Array.from(new Set([s.owner].concat(s.editors || []))).map((e) => String(e).toLowerCase());
      },

      addEditor(email) {
        admin('POST', '/editors', { email: String(email).toLowerCase(), role: 'writer' });
      },
    };
    return store;
  }

  ns.createSheetsStore = createSheetsStore;
})(globalThis);
