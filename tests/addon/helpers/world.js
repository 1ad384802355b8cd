// A test world: the add-on loaded over the Apps Script doubles, a spreadsheet with a "Leads" tab laid
// out like a connected sheet, and (optionally) the fake backend behind the add-on's BACKEND_URL.
'use strict';
const { createNodeGas, syncHttpTransport, GasDoubles } = require('../../../sandbox/gas/node.js');

const BACKEND = 'https://sync.example.com/';
const HEADERS = ['Name', 'Phone', 'Email', 'Notes', 'amo_sync_id', 'Lead ID', 'Sync'];
// Column developer metadata as the backend writes it when a mapping is saved (ARCHITECTURE §3).
const COLUMN_IDS = { 1: 'col_name', 2: 'col_phone', 3: 'col_email', 4: 'col_notes', 5: 'key', 6: 'lead_id', 7: 'sync' };
const MAPPING = {
  pipeline_id: 7001,
  default_status_id: 142001,
  columns: [
    { column: 'col_name', header: 'Name', target: 'contact.name', direction: 'both', policy: 'newest' },
    { column: 'col_phone', header: 'Phone', target: 'contact.phone', direction: 'both', policy: 'newest' },
    { column: 'col_email', header: 'Email', target: 'contact.email', direction: 'both', policy: 'sheet_wins' },
  ],
};

function tagColumns(store, sheetId, ids) {
  for (const [column, value] of Object.entries(ids)) {
    const n = Number(column);
    store.createMetadata({
      metadataKey: 'amo_sync_col',
      metadataValue: value,
      visibility: 'DOCUMENT',
      location: { locationType: 'COLUMN', dimensionRange: { sheetId, dimension: 'COLUMNS', startIndex: n - 1, endIndex: n } },
    });
  }
}

/** The transport the add-on's UrlFetchApp uses, plus the Sheets API view the real backend would read. */
function sheetsViewTransport(store) {
  const inner = syncHttpTransport();
  return (req) => {
    if (req.url.endsWith('/api/v1/register')) {
      const view = { metadata: store.searchMetadata(), editors: store.editors() };
      req = Object.assign({}, req, { headers: Object.assign({}, req.headers, { 'X-Test-Sheets-View': JSON.stringify(view) }) });
    }
    return inner(req);
  };
}

function createWorld(options) {
  const o = options || {};
  // o.store: another spreadsheet store (e.g. sheets-store.js over the Sheets emulator) laid out the same way.
  const store = o.store || GasDoubles.createMemoryStore({
    title: 'Deals',
    sheets: [
      { title: 'Leads', sheetId: 0, values: [HEADERS].concat(o.rows || []) },
      { title: 'Notes', sheetId: 77, values: [['Anything']] },
    ],
  });
  const gas = createNodeGas(
    Object.assign(
      {
        store,
        user: { email: 'owner@example.com' },
        identityToken: () => 'test-id-token',
        routes: o.backend ? { [BACKEND]: o.backend.origin } : {},
        transport: sheetsViewTransport(store),
      },
      o.gas || {}
    )
  );
  return { gas, store };
}

/** Register through the real setUp flow, tag the columns, save the mapping: a connected sheet. */
function connectWorld(world, backend) {
  world.gas.call('setUp');
  tagColumns(world.store, 0, COLUMN_IDS);
  world.gas.call('saveMapping', MAPPING);
  return world;
}

/** The calls one execution made, by name. */
function callsOf(gas, name, execution) {
  return gas.state.calls.filter((c) => c.name === name && (execution === undefined || c.execution === execution));
}

function lastExecution(gas) {
  return gas.state.nextExecution - 1;
}

module.exports = { createWorld, connectWorld, tagColumns, callsOf, lastExecution, HEADERS, COLUMN_IDS, MAPPING, BACKEND };
