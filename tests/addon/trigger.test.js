// The installable edit/change triggers (addon/Triggers.js, addon/Edits.js) over the doubles, talking to
// the fake backend over real loopback HTTP.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startFakeBackend } = require('./helpers/fake-backend.js');
const { createWorld, connectWorld, callsOf, lastExecution } = require('./helpers/world.js');

const K2 = 'rKeyRowTwo000';
const K3 = 'rKeyRowThree0';
const ROWS = [
  ['Anna', '+79120000001', 'anna@example.com', 'vip', K2, '101', '✓'],
  ['Boris', '+79120000002', 'boris@example.com', '', K3, '102', '✓'],
];
const KEY = /^r[0-9A-Za-z]{12}$/;

let backend;
test.before(async () => {
  backend = await startFakeBackend();
});
test.after(() => backend.close());

async function connected(rows) {
  await backend.configure({ failures: [] });
  const world = connectWorld(createWorld({ backend, rows: rows || ROWS }), backend);
  world.gas.call('turnOnAutoSync');
  await backend.clearRequests();
  return world;
}

/** The outbox as the add-on keeps it: rows in parts amo_sync.outbox.0…, and the reconcile flag. */
function outboxOf(gas) {
  const props = gas.state.properties.document;
  const parts = [...props.keys()].filter((k) => k.startsWith('amo_sync.outbox')).sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()));
  return { parts: parts.map((k) => props.get(k)), rows: parts.flatMap((k) => JSON.parse(props.get(k))), needsReconcile: props.has('amo_sync.reconcile_owed') };
}

const editsOf = (requests) => requests.filter((r) => r.url.endsWith('/edits')).map((r) => JSON.parse(r.body).rows);
const keyColumn = (store) => store.read(0, 1, 5, store.extent(0).lastRow, 1).map((r) => r[0]);

test('a single-cell edit sends the row\'s mapped columns with the edit time, signed', async () => {
  const { gas } = await connected();
  const before = Date.now();
  gas.userEdit('Leads', 2, 2, [['+79120000009']]);
  const requests = await backend.requests();
  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, 'POST');
  assert.match(requests[0].url, /^\/api\/v1\/connections\/c_TestConn[0-9a-f]+\/edits$/);
  assert.deepEqual(requests[0].signature, { ok: true, keyId: requests[0].url.split('/')[4] });
  const [rows] = editsOf(requests);
  assert.equal(rows.length, 1);
  const { edited_at: editedAt, ...rest } = rows[0];
  assert.deepEqual(rest, { key: K2, row: 2, lead_id: '101', values: { col_name: 'Anna', col_phone: '+79120000009', col_email: 'anna@example.com' }, edited: ['col_phone'] });
  assert.ok(editedAt >= before && editedAt <= Date.now());
  // the edited row, the key column (is this row a copy of another one, key cells included?), then the
  // header row: the headers go with the rows (a header renamed since the mapping → the backend reads)
  assert.deepEqual(callsOf(gas, 'Range.getValues', lastExecution(gas)).map((r) => r.a1), ['A2:G2', 'E2:E3', 'A1:G1']);
  assert.deepEqual(JSON.parse(requests[0].body).headers, { col_name: 'Name', col_phone: 'Phone', col_email: 'Email', key: 'amo_sync_id', lead_id: 'Lead ID', sync: 'Sync' });
});

test('a multi-row, multi-column paste reads the whole edited rows in ONE getValues (and the key column once)', async () => {
  const { gas } = await connected(ROWS.concat([['Vera', '+79120000003', 'vera@example.com', '', 'rKeyRowFour00', '', '']]));
  gas.userEdit('Leads', 2, 2, [['+7 1', 'a@x.ru'], ['+7 2', 'b@x.ru'], ['+7 3', 'c@x.ru']]);
  const reads = callsOf(gas, 'Range.getValues', lastExecution(gas));
  assert.deepEqual(reads.map((r) => r.a1), ['A2:G4', 'E2:E4', 'A1:G1']);
  const [rows] = editsOf(await backend.requests());
  assert.deepEqual(rows.map((r) => [r.key, r.row, r.values.col_phone, r.values.col_email]), [
    [K2, 2, '+7 1', 'a@x.ru'],
    [K3, 3, '+7 2', 'b@x.ru'],
    ['rKeyRowFour00', 4, '+7 3', 'c@x.ru'],
  ]);
});

test('new rows get keys under the document lock in one setValues; existing keys stay', async () => {
  const { gas, store } = await connected();
  gas.userEdit('Leads', 3, 1, [['Boris B.', '+79120000002'], ['Galina', '+79120000004'], ['Dmitry', '']]);
  const keys = keyColumn(store);
  assert.equal(keys[0], 'amo_sync_id');
  assert.equal(keys[1], K2); // row 2, not edited
  assert.equal(keys[2], K3); // row 3, edited, kept its key
  assert.match(keys[3], KEY);
  assert.match(keys[4], KEY);
  assert.notEqual(keys[3], keys[4]);
  const writes = callsOf(gas, 'Range.setValues', lastExecution(gas));
  assert.deepEqual(writes.map((w) => [w.a1, w.documentLockHeld]), [['E3:E5', true]]);
  assert.equal(gas.state.locks.document, null, 'the lock is released');
  const [rows] = editsOf(await backend.requests());
  assert.deepEqual(rows.map((r) => [r.key, r.row, r.values.col_name]), [
    [K3, 3, 'Boris B.'],
    [keys[3], 4, 'Galina'],
    [keys[4], 5, 'Dmitry'],
  ]);
});

test('a row with data only in unmapped columns gets a key, and nothing is sent', async () => {
  const { gas, store } = await connected();
  gas.userEdit('Leads', 4, 4, [['a note']]);
  assert.match(keyColumn(store)[3], KEY);
  assert.deepEqual(await backend.requests(), []);
});

test('an edit of the header row sends no row but asks for a reconcile: the backend checks the headers against the mapping', async () => {
  const { gas } = await connected();
  gas.userEdit('Leads', 1, 1, [['Full name']]);
  const ex = lastExecution(gas);
  assert.equal(callsOf(gas, 'Range.getValues', ex).length, 0);
  assert.equal(callsOf(gas, 'Range.setValues', ex).length, 0);
  const requests = await backend.requests();
  assert.deepEqual(requests.map((r) => [r.method, r.url.split('/').pop(), r.signature.ok]), [['POST', 'reconcile', true]]);
});

test('a paste over the header row and data rows sends the rows and asks for a reconcile', async () => {
  const { gas } = await connected();
  gas.userEdit('Leads', 1, 2, [['Mobile'], ['+79120000009']]);
  const requests = await backend.requests();
  assert.deepEqual(requests.map((r) => r.url.split('/').pop()), ['edits', 'reconcile']);
  const [rows] = editsOf(requests);
  assert.deepEqual(rows.map((r) => [r.key, r.values.col_phone]), [[K2, '+79120000009']]);
  assert.equal(JSON.parse(requests[0].body).headers.col_phone, 'Mobile');
});

test('an edit in another tab is ignored', async () => {
  const { gas } = await connected();
  gas.userEdit('Notes', 2, 1, [['call Anna'], ['call Boris']]);
  const ex = lastExecution(gas);
  assert.equal(callsOf(gas, 'Range.getValues', ex).length, 0);
  assert.equal(callsOf(gas, 'UrlFetchApp.fetch', ex).length, 0);
  assert.deepEqual(await backend.requests(), []);
});

test('while another execution holds the document lock, keyed rows still go and new rows wait for a reconcile', async () => {
  const { gas, store } = await connected();
  let clock = Date.now();
  Object.assign(gas.state, { now: () => clock, sleep: (ms) => (clock += ms) }); // a virtual clock for the wait
  gas.state.locks.document = { execution: -1 };
  gas.userEdit('Leads', 3, 1, [['Boris L.'], ['Galina']]);
  assert.ok(clock - Date.now() >= 9000, 'waited for the lock');
  assert.equal(keyColumn(store)[3], '', 'no key written without the lock');
  assert.equal(callsOf(gas, 'Range.setValues', lastExecution(gas)).length, 0);
  const requests = await backend.requests();
  assert.deepEqual(requests.map((r) => r.url.split('/').pop()), ['edits', 'reconcile']);
  assert.deepEqual(editsOf(requests)[0].map((r) => [r.key, r.values.col_name]), [[K3, 'Boris L.']]);
});

test('rows wait while the backend is unreachable or failing, then arrive once, signed', async () => {
  const { gas } = await connected(ROWS.concat([['Vera', '', '', '', 'rKeyRowFour00', '', '']]));
  await backend.stop(); // connection refused
  gas.userEdit('Leads', 2, 1, [['Anna 1']]);
  let outbox = outboxOf(gas);
  assert.deepEqual(outbox.rows.map((r) => r.key), [K2]);
  assert.equal(JSON.parse(gas.state.properties.document.get('amo_sync.last_send')).code, 'unreachable');

  await backend.start();
  await backend.configure({ failures: [{ path: '/edits', status: 500, times: 1, body: { status: 500, code: 'internal_error', detail: 'x' } }] });
  gas.userEdit('Leads', 3, 1, [['Boris 1']]);
  outbox = outboxOf(gas);
  assert.deepEqual(outbox.rows.map((r) => r.key), [K2, K3]);

  gas.userEdit('Leads', 4, 1, [['Vera 1']]);
  assert.deepEqual(outboxOf(gas), { parts: [], rows: [], needsReconcile: false }, 'the outbox is empty again');
  gas.userEdit('Leads', 2, 1, [['Anna 2']]);

  const requests = await backend.requests();
  assert.ok(requests.every((r) => r.signature && r.signature.ok), 'every request is signed');
  assert.deepEqual(requests.map((r) => r.url.split('/').pop()), ['edits', 'edits', 'edits']);
  const [failed, delivered, later] = editsOf(requests);
  assert.deepEqual(failed.map((r) => r.key), [K2, K3]);
  assert.deepEqual(delivered.map((r) => [r.key, r.values.col_name]), [[K2, 'Anna 1'], [K3, 'Boris 1'], ['rKeyRowFour00', 'Vera 1']]);
  assert.deepEqual(later.map((r) => [r.key, r.values.col_name]), [[K2, 'Anna 2']]);
});

test('a row queued while the backend was away goes with what it holds when it is sent, not what it held', async () => {
  const { gas, store } = await connected();
  await backend.stop();
  gas.userEdit('Leads', 2, 1, [['Anna 1']]);
  assert.deepEqual(outboxOf(gas).rows.map((r) => [r.key, r.values.col_phone]), [[K2, '+79120000001']]);
  store.write(0, 2, 2, [['+79120000555']]); // a run wrote the row through the Sheets API meanwhile
  await backend.start();
  gas.userEdit('Leads', 3, 1, [['Boris 1']]);
  const [delivered] = editsOf(await backend.requests()); // the first try never reached it
  assert.deepEqual(delivered.map((r) => [r.key, r.row, r.values.col_name, r.values.col_phone, r.edited]), [
    [K2, 2, 'Anna 1', '+79120000555', ['col_name']],
    [K3, 3, 'Boris 1', '+79120000002', ['col_name']],
  ]);
  assert.deepEqual(outboxOf(gas).rows, [], 'delivered rows leave the outbox');
});

test('a refused delivery is not retried; the next delivery asks for a reconcile', async () => {
  const { gas } = await connected();
  await backend.configure({ failures: [{ path: '/edits', status: 422, times: 1, body: { status: 422, code: 'mapping_invalid', detail: 'x' } }] });
  gas.userEdit('Leads', 2, 1, [['Anna X']]);
  const outbox = outboxOf(gas);
  assert.deepEqual([outbox.rows, outbox.needsReconcile], [[], true]);
  assert.equal(JSON.parse(gas.state.properties.document.get('amo_sync.last_send')).code, 'mapping_invalid');
  gas.userEdit('Leads', 3, 1, [['Boris X']]);
  const urls = (await backend.requests()).map((r) => r.url.split('/').pop());
  assert.deepEqual(urls, ['edits', 'edits', 'reconcile']);
});

test('the outbox: parts of at most 8 KB (the limit is 9 KB), at most 8; the oldest rows stay, the rest is a reconcile the sidebar reports', async () => {
  const { gas } = await connected();
  await backend.stop();
  const paste = Array.from({ length: 900 }, (_, i) => ['Person ' + i, '+7912' + String(i).padStart(7, '0'), 'p' + i + '@example.com']);
  gas.userEdit('Leads', 2, 1, paste);
  const outbox = outboxOf(gas);
  assert.equal(outbox.parts.length, 8, 'all parts in use');
  for (const part of outbox.parts) assert.ok(Buffer.byteLength(part) <= 8 * 1024, 'a part holds at most 8 KB: ' + Buffer.byteLength(part));
  assert.equal(outbox.needsReconcile, true, 'rows that did not fit are owed a reconcile');
  const rows = outbox.rows.map((r) => r.row);
  assert.ok(rows.length > 300 && rows.length < 900, String(rows.length));
  assert.deepEqual(rows, Array.from({ length: rows.length }, (_, i) => i + 2), 'the oldest rows are kept, in order');
  assert.equal(JSON.parse(gas.state.properties.document.get('amo_sync.last_send')).queued, rows.length);

  await backend.start();
  const state = gas.call('getState');
  assert.deepEqual([state.queued, state.reconcileOwed], [rows.length, true]);
  await backend.clearRequests();
  gas.userEdit('Leads', 2, 1, [['Person 0 again']]);
  const requests = await backend.requests();
  assert.deepEqual(requests.map((r) => r.url.split('/').pop()), ['edits', 'reconcile']);
  assert.equal(editsOf(requests)[0].length, rows.length);
  assert.deepEqual(outboxOf(gas), { parts: [], rows: [], needsReconcile: false });
});

test('when the property store refuses the outbox, the edit is still sent, and a reconcile covers it if that fails too', async () => {
  const { gas } = await connected();
  const props = gas.state.properties.document;
  // Fill the document's 500 KB store but for a few bytes: a part no longer fits, the reconcile flag does.
  const used = () => [...props].reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  for (let i = 0; used() < 500 * 1024 - 9000; i++) props.set('other.' + i, 'x'.repeat(8000));
  props.set('other.last', 'x'.repeat(500 * 1024 - 64 - used() - Buffer.byteLength('other.last')));
  await backend.stop();
  gas.userEdit('Leads', 2, 1, [['Anna Full']]);
  assert.deepEqual(outboxOf(gas).rows, [], 'the store refused the row');
  assert.equal(outboxOf(gas).needsReconcile, true, 'a reconcile is owed instead');
  assert.ok(gas.state.logs.some((l) => l.level === 'error' && /could not save/.test(l.message)));

  for (const k of [...props.keys()]) if (k.startsWith('other.')) props.delete(k);
  await backend.start();
  await backend.clearRequests();
  gas.userEdit('Leads', 3, 1, [['Boris Later']]);
  assert.deepEqual((await backend.requests()).map((r) => r.url.split('/').pop()), ['edits', 'reconcile'], "the owed reconcile reads Anna's row from the sheet");
  assert.equal(outboxOf(gas).needsReconcile, false);
});

test('a paste of 600 rows is sent in requests of at most 500 rows', async () => {
  const { gas } = await connected();
  const paste = Array.from({ length: 600 }, (_, i) => ['Person ' + i]);
  gas.userEdit('Leads', 2, 1, paste);
  assert.deepEqual(editsOf(await backend.requests()).map((rows) => rows.length), [500, 100]);
});

test('inserted or removed rows ask for a reconcile; other changes do not, and read no property', async () => {
  const { gas } = await connected();
  gas.userChange('FORMAT');
  gas.userChange('EDIT');
  const plainEdit = lastExecution(gas);
  assert.deepEqual(gas.state.calls.filter((c) => c.execution === plainEdit).map((c) => c.name), [], "a plain edit's change event returns before any call");
  gas.userChange('INSERT_ROW');
  gas.userChange('REMOVE_ROW');
  const requests = await backend.requests();
  assert.deepEqual(requests.map((r) => [r.method, r.url.split('/').pop(), r.body, r.signature.ok]), [
    ['POST', 'reconcile', '', true],
    ['POST', 'reconcile', '', true],
  ]);
});

const OWNER = 'owner@example.com';
const COLLEAGUE = { email: 'colleague@example.com' };
const triggersOf = (gas) => gas.state.triggers.map((t) => t.user + ' ' + t.handler);

test('auto-sync is one pair of triggers per document: the sidebar names who runs it, a colleague takes it over, the old pair removes itself', async () => {
  await backend.configure({ failures: [] });
  const { gas } = connectWorld(createWorld({ backend, rows: ROWS }), backend);
  await backend.clearRequests();
  gas.userEdit('Leads', 2, 1, [['Nobody listens']]);
  assert.deepEqual(await backend.requests(), [], 'no trigger before auto-sync is turned on');

  assert.deepEqual(gas.call('turnOnAutoSync'), { autoSync: true, autoSyncBy: OWNER, autoSyncMine: true });
  assert.deepEqual(gas.call('turnOnAutoSync'), { autoSync: true, autoSyncBy: OWNER, autoSyncMine: true }, 'idempotent');
  assert.deepEqual(triggersOf(gas), [OWNER + ' handleEdit', OWNER + ' handleChange']);

  // The colleague's sidebar: on, run by the owner, not theirs.
  const seen = gas.run('getState', [], { user: COLLEAGUE });
  assert.deepEqual([seen.autoSync, seen.autoSyncBy, seen.autoSyncMine], [true, OWNER, false]);
  gas.userEdit('Leads', 2, 1, [['Edited by the colleague']]);
  assert.equal(editsOf(await backend.requests()).length, 1, "the owner's trigger sends the colleague's edit, once");

  // The colleague takes over: both pairs exist until the owner's fires, sees it is not current, and goes.
  await backend.clearRequests();
  assert.deepEqual(gas.run('turnOnAutoSync', [], { user: COLLEAGUE }), { autoSync: true, autoSyncBy: COLLEAGUE.email, autoSyncMine: true });
  assert.equal(gas.state.triggers.length, 4);
  const fired = gas.userEdit('Leads', 3, 1, [['After the takeover']]);
  assert.deepEqual(fired.map((f) => f.user), [OWNER, COLLEAGUE.email]);
  assert.equal(editsOf(await backend.requests()).length, 1, 'sent once, by the current pair');
  assert.deepEqual(triggersOf(gas), [COLLEAGUE.email + ' handleEdit', COLLEAGUE.email + ' handleChange']);
  const mine = gas.call('getState');
  assert.deepEqual([mine.autoSync, mine.autoSyncBy, mine.autoSyncMine], [true, COLLEAGUE.email, false]);
  gas.open('LIMITED');
  assert.ok(gas.state.ui.menus.at(-1).items.some((i) => i.functionName === 'menuTurnOffAutoSync'), 'the menu knows auto-sync is on without ScriptApp');

  // The owner turns it off for the document; the colleague's pair removes itself on the next events.
  await backend.clearRequests();
  assert.deepEqual(gas.call('turnOffAutoSync'), { autoSync: false, autoSyncBy: null, autoSyncMine: false });
  gas.userEdit('Leads', 2, 1, [['Nobody again']]);
  gas.userChange('INSERT_ROW');
  assert.deepEqual(await backend.requests(), []);
  assert.deepEqual(gas.state.triggers, []);
});

test('triggers made before auto-sync was recorded per document: the first to fire claims it, the other pair removes itself', async () => {
  await backend.configure({ failures: [] });
  const { gas } = connectWorld(createWorld({ backend, rows: ROWS }), backend);
  gas.call('turnOnAutoSync');
  gas.run('turnOnAutoSync', [], { user: COLLEAGUE }); // a second pair, as two people could make before
  gas.state.properties.document.delete('amo_sync.auto_sync');
  await backend.clearRequests();
  gas.userEdit('Leads', 2, 1, [['Once']]);
  gas.userEdit('Leads', 3, 1, [['Twice']]);
  assert.deepEqual(editsOf(await backend.requests()).map((rows) => rows.map((r) => r.values.col_name)), [['Once'], ['Twice']]);
  assert.deepEqual(triggersOf(gas), [OWNER + ' handleEdit', OWNER + ' handleChange']);
  assert.equal(gas.call('getState').autoSyncBy, OWNER);
});

test('a row pasted with another row\'s key cells is sent without values: the backend reads the sheet to tell the copy from the original', async () => {
  const { gas } = await connected();
  gas.userEdit('Leads', 4, 1, [ROWS[0]]); // the synced row 2 copied, key and lead id included, below
  const [rows] = editsOf(await backend.requests());
  assert.deepEqual(rows.map((r) => [r.key, r.row, 'values' in r]), [[K2, 4, false]]);
});
