// The backend's answer to an edit (lead id, link, status, canonical values) written into the row by the
// trigger itself, through SpreadsheetApp — no Sheets API call — under the document lock, by row key.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startFakeBackend } = require('./helpers/fake-backend.js');
const { createWorld, connectWorld, callsOf, lastExecution } = require('./helpers/world.js');

const K2 = 'rKeyRowTwo000';
const K3 = 'rKeyRowThree0';
const ROWS = [
  ['Anna', '89120000001', 'anna@example.com', 'vip', K2, '', ''],
  ['Boris', '+79120000002', 'boris@example.com', '', K3, '102', '✓'],
];

let backend;
test.before(async () => {
  backend = await startFakeBackend();
});
test.after(() => backend.close());

async function connectedWith(answer) {
  await backend.configure({ failures: [], routes: { 'POST /edits': { status: 202, body: answer } } });
  const world = connectWorld(createWorld({ backend, rows: ROWS }), backend);
  world.gas.call('turnOnAutoSync');
  await backend.clearRequests();
  return world;
}

const row = (store, n) => store.read(0, n, 1, 1, 7)[0];

test('an edit\'s answer lands in its row: lead id, status and the canonical phone, in the same execution', async () => {
  const { gas, store } = await connectedWith({
    accepted: 1,
    job_id: 'j1',
    queued: true,
    rows: [{ key: K2, cells: { lead_id: 5001, sync: '✓ 2026-12-06 10:00', col_phone: '+7 912 000-00-01' } }],
    pending: [],
  });
  gas.userEdit('Leads', 2, 1, [['Anna K']]);
  const requests = await backend.requests();
  assert.equal(requests.filter((r) => r.url.endsWith('/edits')).length, 1);
  assert.deepEqual(row(store, 2), ['Anna K', '+7 912 000-00-01', 'anna@example.com', 'vip', K2, 5001, '✓ 2026-12-06 10:00']);
  assert.deepEqual(row(store, 3), ROWS[1]); // the other row untouched
  const ex = lastExecution(gas);
  // the answer was written under the document lock: taken after the request, released before the end
  const locks = gas.state.calls.filter((c) => c.execution === ex && (c.name === 'Lock.acquire' || c.name === 'UrlFetchApp.fetch')).map((c) => c.name);
  assert.equal(locks[locks.length - 1], 'Lock.acquire');
  assert.equal(callsOf(gas, 'UrlFetchApp.fetch', ex).length, 1); // the edit itself; nothing to Sheets
});

test('an answer for a row that moved is written where its key is now; a deleted row is skipped', async () => {
  const { gas, store } = await connectedWith({
    accepted: 1,
    job_id: null,
    queued: false,
    rows: [
      { key: K3, cells: { lead_id: 7002, sync: '✓ moved' } },
      { key: 'rKeyGoneAway0', cells: { lead_id: 1, sync: '✓ gone' } },
    ],
    pending: [],
  });
  gas.userEdit('Leads', 3, 2, [['+79120000022']]);
  assert.deepEqual(row(store, 3).slice(4), [K3, 7002, '✓ moved']);
  assert.ok(!store.read(0, 1, 1, store.extent(0).lastRow, 7).some((r) => r.includes('✓ gone')));
});

test('no answer in time (pending): the row keeps its cells, and the backend writes them later', async () => {
  const { gas, store } = await connectedWith({ accepted: 1, job_id: 'j2', queued: true, rows: [], pending: [K2] });
  gas.userEdit('Leads', 2, 1, [['Anna P']]);
  assert.deepEqual(row(store, 2), ['Anna P', '89120000001', 'anna@example.com', 'vip', K2, '', '']);
});
