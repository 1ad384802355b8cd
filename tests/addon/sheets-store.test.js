// The spreadsheet store over the real Sheets emulator (sandbox/gas/sheets-store.js): the SpreadsheetApp
// double behaves as over the in-memory store, script calls are not Sheets API calls (no quota, no
// counters), a person's edit is logged as one, and the add-on's writes are what the backend reads.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createNodeGas, syncHttpTransport, GasDoubles: G } = require('../../sandbox/gas/node.js');
const { startSheetsEmulator } = require('./helpers/sheets-emulator.js');
const { startFakeBackend, SA } = require('./helpers/fake-backend.js');
const { createWorld, connectWorld, HEADERS } = require('./helpers/world.js');

const OWNER = 'owner@example.com';
let emu;
test.before(async () => {
  emu = await startSheetsEmulator();
});
test.after(() => emu.stop());

/** A spreadsheet in the emulator (tabs Leads + Notes) and a store acting as `user` on it. */
async function spreadsheet(leads, options) {
  const o = options || {};
  const created = await emu.admin('POST', '/spreadsheets', {
    title: 'Deals',
    owner: OWNER,
    editors: o.editors || [],
    value_input_option: 'RAW',
    sheets: [{ title: 'Leads', rows: leads }, { title: 'Notes', rows: [['Anything']], sheetId: 77 }],
  });
  const id = created.spreadsheetId;
  const store = G.createSheetsStore({ transport: syncHttpTransport(), baseUrl: emu.url, spreadsheetId: id, user: OWNER });
  return { id, store };
}

/** A Sheets API read as the backend's service account `email` (a bearer token minted for it). */
async function readAs(email, id, range) {
  const { access_token: token } = await emu.admin('POST', '/access-token', { email });
  return (await emu.v4('GET', '/spreadsheets/' + id + '/values/' + range + '?valueRenderOption=UNFORMATTED_VALUE', undefined, token)).values;
}

function inExecution(gas, fn) {
  const { global, finish } = gas.execution({});
  try {
    return fn(global);
  } finally {
    finish();
  }
}

test('ranges over the emulator: padded copies, last row/column, Apps Script\'s bound errors; setValues parses like Sheets', async () => {
  const { id, store } = await spreadsheet([['Name', 'Phone'], ['Anna', '1']], { editors: [SA] });
  const gas = createNodeGas({ store });
  inExecution(gas, (g) => {
    const sheet = g.SpreadsheetApp.getActiveSpreadsheet().getSheetByName('Leads');
    assert.deepEqual(sheet.getRange('A1:C2').getValues(), [['Name', 'Phone', ''], ['Anna', '1', '']]);
    assert.equal(sheet.getLastRow(), 2);
    assert.equal(sheet.getLastColumn(), 2);
    assert.equal(sheet.getMaxRows(), 1000);
    assert.throws(() => sheet.getRange(1001, 1), /outside the dimensions of the sheet/);
    assert.throws(() => store.read(0, 999, 1, 5, 1), /outside the dimensions of the sheet/);
    sheet.getRange('B3:D3').setValues([['42', 'r7AbC', '']]);
    assert.deepEqual(sheet.getRange('B3:D3').getValues(), [[42, 'r7AbC', '']], '"42" became a number, as in Sheets');
    sheet.getRange(1, 5).setValue(new Date(Date.UTC(2024, 0, 15, 9, 30)));
    assert.equal(typeof sheet.getRange(1, 5).getValue(), 'number', 'a Date is stored as a date serial');
    sheet.insertRowsBefore(2, 1);
    assert.equal(sheet.getMaxRows(), 1001, 'sheet properties are re-read after a structural change');
    assert.equal(sheet.getRange('A3').getValue(), 'Anna');
  });
  assert.deepEqual(await readAs(SA, id, 'Leads!A3:C4'), [['Anna', '1'], ['', 42, 'r7AbC']], 'the backend reads what the script wrote');
});

test('developer metadata over the emulator: finders, locations, and it moves with inserted and deleted rows/columns', async () => {
  const { store } = await spreadsheet([['Name', 'Phone'], ['Anna', '1']]);
  const gas = createNodeGas({ store });
  inExecution(gas, (g) => {
    const ss = g.SpreadsheetApp.getActiveSpreadsheet();
    const sheet = ss.getSheetByName('Leads');
    const V = g.SpreadsheetApp.DeveloperMetadataVisibility;
    ss.addDeveloperMetadata('challenge', 'abc', V.DOCUMENT);
    sheet.getRange('B:B').addDeveloperMetadata('amo_sync_col', 'col_phone');
    sheet.getRange('3:3').addDeveloperMetadata('row', 'r3', V.PROJECT);
    const [found] = ss.createDeveloperMetadataFinder().withKey('challenge').withValue('abc').find();
    assert.equal(String(found.getLocation().getLocationType()), 'SPREADSHEET');
    const column = () => sheet.createDeveloperMetadataFinder().withKey('amo_sync_col').find()[0].getLocation().getColumn();
    assert.equal(column().getA1Notation(), 'B:B');
    sheet.insertColumnBefore(1);
    assert.equal(column().getColumn(), 3, 'moved right with its column');
    const row = () => sheet.createDeveloperMetadataFinder().withKey('row').find();
    sheet.insertRowsBefore(2, 2);
    assert.equal(row()[0].getLocation().getRow().getRow(), 5);
    sheet.deleteRow(5);
    assert.equal(row().length, 0, 'deleted with its row');
    found.setValue('changed');
    assert.equal(ss.createDeveloperMetadataFinder().withKey('challenge').find()[0].getValue(), 'changed');
    found.remove();
    assert.equal(ss.getDeveloperMetadata().length, 0);
  });
});

test('script calls are not Sheets API calls: no quota, no counters; sharing still applies', async () => {
  await emu.admin('POST', '/reset'); // a fresh minute of quota and zero counters
  const { id, store } = await spreadsheet([['Name'], ['Anna']], { editors: [SA] });
  await emu.admin('POST', '/quotas', { read_per_user: 1, write_per_user: 1, read_per_project: 1, write_per_project: 1 });
  try {
    for (let i = 0; i < 5; i++) {
      store.write(0, 2, 2, [['x' + i]]);
      assert.deepEqual(store.read(0, 2, 1, 1, 2), [['Anna', 'x' + i]]);
    }
    store.searchMetadata();
    assert.equal((await emu.admin('GET', '/counters')).total, 0);
    // the backend's service account still has its whole (tiny) quota for this minute
    assert.deepEqual(await readAs(SA, id, 'Leads!A2:B2'), [['Anna', 'x4']]);
  } finally {
    await emu.admin('POST', '/quotas', { read_per_user: 60, write_per_user: 60, read_per_project: 300, write_per_project: 300 });
  }
  const stranger = G.createSheetsStore({ transport: syncHttpTransport(), baseUrl: emu.url, spreadsheetId: id, user: 'stranger@example.com' });
  assert.throws(() => stranger.read(0, 1, 1, 1, 1), /The caller does not have permission/);
});

test('the add-on over the emulator: set up shares the file, a person\'s edit is logged and fires the trigger, keys land where the backend reads', async () => {
  const backend = await startFakeBackend();
  try {
    const { id, store } = await spreadsheet([HEADERS, ['Anna', '+79120000001', 'anna@example.com', '', 'rKeyRowTwo000', '101', '✓']]);
    const world = connectWorld(createWorld({ backend, store }), backend);
    assert.ok((await emu.admin('GET', '/spreadsheets/' + id + '/editors')).editors.includes(SA), 'Set up shared the file');
    world.gas.call('turnOnAutoSync');
    await backend.clearRequests();

    world.gas.userEdit('Leads', 3, 1, [['Boris']]); // a new row: the trigger gives it a key
    const [edit] = (await backend.requests()).filter((r) => r.url.endsWith('/edits'));
    const [row] = JSON.parse(edit.body).rows;
    assert.equal(row.row, 3);
    assert.match(row.key, /^r[0-9A-Za-z]{12}$/);

    const log = (await emu.admin('GET', '/spreadsheets/' + id + '/edits')).edits;
    assert.deepEqual(log.map((e) => [e.user, e.changeType, e.range]), [[OWNER, 'EDIT', 'Leads!A3']], 'only the person\'s edit is logged');
    assert.deepEqual(await readAs(SA, id, 'Leads!A3:E3'), [['Boris', '', '', '', row.key]]);
  } finally {
    await backend.close();
  }
});

test('Range.getFormulas over the emulator: the formula text where a cell holds one, \'\' elsewhere (FORMULA rendering)', async () => {
  const { store } = await spreadsheet([['Name', 'Budget', 'Double'], ['Anna', '150', '']]);
  const gas = createNodeGas({ store });
  inExecution(gas, (g) => {
    const sheet = g.SpreadsheetApp.getActiveSpreadsheet().getSheetByName('Leads');
    sheet.getRange('C2').setValues([['=B2*2']]);
    assert.deepEqual(sheet.getRange('A2:C2').getFormulas(), [['', '', '=B2*2']]);
    assert.deepEqual(sheet.getRange('A1:B1').getFormulas(), [['', '']]);
  });
});
