// The functions the sidebar calls (addon/Server.js) against the fake backend.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startFakeBackend } = require('./helpers/fake-backend.js');
const { createWorld, connectWorld, MAPPING } = require('./helpers/world.js');

let backend;
test.before(async () => {
  backend = await startFakeBackend();
});
test.after(() => backend.close());
const AMO = { connected: true, host: 'acme.amocrm.ru', name: 'Acme', status: 'ok', webhook: 'active' };
test.beforeEach(() => backend.configure({ failures: [], routes: {}, connection: { amo: { connected: false }, mapping: null, errors: 0 } }));

const KEY = 'rKeyRowTwo000';

test('getState walks the stages: setup → connect → mapping → ready, with health in plain words', async () => {
  const world = createWorld({ backend, rows: [['Anna', '', '', '', KEY, '', '']] });
  const { gas } = world;
  assert.equal(gas.call('getState').stage, 'setup');
  assert.equal(gas.call('setUp').stage, 'connect');
  await backend.configure({ connection: { amo: AMO, mapping: null, errors: 0 } });
  assert.equal(gas.call('getState').stage, 'mapping');
  await backend.configure({ connection: { amo: { ...AMO, status: 'blocked', webhook: 'disabled' }, mapping: MAPPING, errors: 2 } });
  const ready = gas.call('getState');
  assert.equal(ready.stage, 'ready');
  assert.equal(ready.sheetTitle, 'Leads');
  assert.equal(ready.errorCount, 2);
  assert.equal(ready.autoSync, false);
  assert.deepEqual(ready.account, { domain: 'acme.amocrm.ru', name: 'Acme' });
  assert.equal(ready.health.length, 2);
  assert.match(ready.health[0], /webhook is off/);
  assert.match(ready.health[1], /blocking requests/);
  await backend.configure({ connection: { amo: { ...AMO, connected: false, status: 'needs_reconnect' }, mapping: MAPPING } });
  const reconnect = gas.call('getState');
  assert.deepEqual([reconnect.stage, reconnect.needsReconnect], ['connect', true]);
});

test('getState after the backend forgot this document offers Set up again, keeping the message', async () => {
  const { gas } = createWorld({ backend });
  gas.call('setUp');
  await backend.configure({ secrets: {} });
  const s = gas.call('getState');
  assert.equal(s.stage, 'setup');
  assert.match(s.problem, /did not recognise this spreadsheet/);
});

test('mapping: get (remembers mapped columns), suggest, save; metadata passes through', async () => {
  const { gas } = connectWorld(createWorld({ backend }), backend);
  const headers = [{ column: 'col_name', header: 'Name' }, { column: 'col_phone', header: 'Phone' }];
  const metadata = { pipelines: [{ id: 7001, name: 'Sales', statuses: [{ id: 142001, name: 'New' }] }], users: [], fields: { lead: [], contact: [] } };
  await backend.configure({
    routes: {
      'GET /mapping': { body: { mapping: { pipeline_id: 7001, columns: [{ column: 'col_phone', target: 'contact.phone' }] }, headers } },
      'POST /mapping/suggest': { body: { mapping: MAPPING, headers } },
      'GET /amo/metadata': { body: metadata },
    },
  });
  assert.deepEqual(gas.call('getAmoMetadata'), metadata);
  assert.deepEqual(gas.call('suggestMapping').headers, headers);
  assert.deepEqual(gas.call('getMapping').headers, headers);
  assert.equal(gas.state.properties.document.get('amo_sync.mapped_columns'), '["col_phone"]');
  const saved = gas.call('saveMapping', MAPPING);
  assert.deepEqual(saved.mapping, MAPPING);
  assert.equal(gas.state.properties.document.get('amo_sync.mapped_columns'), '["col_name","col_phone","col_email"]');
  const put = (await backend.requests()).filter((r) => r.method === 'PUT').at(-1);
  assert.deepEqual(JSON.parse(put.body), MAPPING);
  assert.throws(() => gas.call('saveMapping', { nope: 1 }), /\[mapping_invalid\]/);
});

test('the mapping answers name the columns holding formulas in their first data rows (one getFormulas)', async () => {
  const rows = [
    ['Anna', '+79120000001', 'anna@example.com', { formula: '=B2&" (mobile)"', value: '+79120000001 (mobile)' }, 'rKeyRowTwo000', '', ''],
    ['Boris', '+79120000002', { formula: '=LOWER(A3)&"@example.com"', value: 'boris@example.com' }, '', 'rKeyRowThree0', '', ''],
  ];
  const { gas } = connectWorld(createWorld({ backend, rows }), backend);
  // col_notes located by the backend's 0-based index, col_email by its column metadata.
  const headers = [{ column: 'col_name', header: 'Name', index: 0 }, { column: 'col_email', header: 'Email' }, { column: 'col_notes', header: 'Notes', index: 3 }];
  await backend.configure({ routes: { 'GET /mapping': { body: { mapping: MAPPING, headers } }, 'POST /mapping/suggest': { body: { mapping: MAPPING, headers } } } });
  assert.deepEqual(gas.call('getMapping').formulaColumns, ['col_email', 'col_notes']);
  const reads = gas.state.calls.filter((c) => c.name === 'Range.getFormulas' && c.execution === gas.state.nextExecution - 1);
  assert.deepEqual(reads.map((c) => c.a1), ['A2:G3']);
  assert.deepEqual(gas.call('suggestMapping').formulaColumns, ['col_email', 'col_notes']);
  assert.equal(gas.call('getMapping').headers.length, 3, 'the backend\'s answer passes through');
});

test('sync now: preview job, confirm passes guards, job progress', async () => {
  const { gas } = connectWorld(createWorld({ backend }), backend);
  const job = { job_id: 'job-1', kind: 'preview', status: 'queued' };
  const done = { job_id: 'job-1', kind: 'preview', status: 'finished', preview: { create: 3, update: 1, conflicts: 0, errors: 1 }, guards: [{ name: 'mass_change', tripped: true, reason: '90% of rows change' }] };
  await backend.configure({
    routes: {
      'POST /sync/preview': { status: 202, body: job },
      'GET /jobs/job-1': { body: done },
      'POST /sync': { status: 202, body: { job_id: 'job-2', kind: 'sync', status: 'queued' } },
    },
  });
  assert.deepEqual(gas.call('previewSync'), job);
  assert.deepEqual(gas.call('getJob', 'job-1'), done);
  assert.equal(gas.call('startSync', true).job_id, 'job-2');
  gas.call('startSync');
  const bodies = (await backend.requests()).filter((r) => r.url.endsWith('/sync')).map((r) => JSON.parse(r.body));
  assert.deepEqual(bodies, [{ confirm: true }, { confirm: false }]);
  assert.throws(() => gas.call('getJob', ''), /\[not_found\]/);
});

test('errors, retry row, and the history of the selected row', async () => {
  const world = connectWorld(createWorld({ backend, rows: [['Anna', '', '', '', KEY, '', ''], ['Boris', '', '', '', '', '', '']] }), backend);
  const { gas } = world;
  const errors = { rows: [{ key: KEY, row: 2, message: 'Phone "abc" is not a phone number.' }] };
  const history = { entries: [{ at: '2026-11-24T09:00:00Z', side: 'sheet', field: 'Phone', old: '', new: '+7912' }] };
  await backend.configure({ routes: { 'GET /errors': { body: errors }, [`GET /rows/${KEY}/history`]: { body: history }, [`POST /rows/${KEY}/retry`]: { status: 202, body: { queued: true } } } });
  assert.deepEqual(gas.call('getErrors'), errors);
  assert.deepEqual(gas.call('retryRow', KEY), { queued: true });
  assert.throws(() => gas.call('retryRow', '../x'), /\[bad_key\]/);

  gas.state.active = { sheetId: 0, range: { row: 2, column: 3, numRows: 1, numColumns: 1 } };
  assert.deepEqual(gas.call('getSelectedRow'), { row: 2, key: KEY });
  assert.deepEqual(gas.call('getRowHistory', KEY), history);
  gas.state.active = { sheetId: 0, range: { row: 3, column: 1, numRows: 1, numColumns: 1 } };
  assert.deepEqual(gas.call('getSelectedRow'), { row: 3, key: null });
  gas.state.active = { sheetId: 77, range: { row: 2, column: 1, numRows: 1, numColumns: 1 } };
  assert.throws(() => gas.call('getSelectedRow'), /\[wrong_sheet\]/);
  gas.state.active = { sheetId: 0, range: { row: 1, column: 1, numRows: 1, numColumns: 1 } };
  assert.throws(() => gas.call('getSelectedRow'), /\[wrong_sheet\]/);
  gas.state.active = { sheetId: 0, range: null }; // nothing selected: getActiveRange() is null
  assert.throws(() => gas.call('getSelectedRow'), /\[wrong_sheet\] Select a row in the connected sheet first/);
});

test('activity and health: runs, one run, older runs, health; a malformed run id never reaches the backend', async () => {
  const world = connectWorld(createWorld({ backend, rows: [['Anna', '', '', '', KEY, '', '']] }), backend);
  const { gas } = world;
  const RUN = '1764990000000-0a1b2c3d';
  const runs = { runs: [{ run_id: RUN, trigger: 'edit', summary: '1 updated in amoCRM.' }], next_before: RUN };
  const run = { run: runs.runs[0], changes: [{ key: KEY, side: 'amo', field: 'lead.price', before: '1', after: '2', why: 'sheet_edit' }], next_offset: null };
  const health = { webhook: { ok: true, detail: 'ok', action: '', at: null } };
  await backend.configure({ routes: { 'GET /runs': { body: runs }, [`GET /runs/${RUN}`]: { body: run }, 'GET /health': { body: health } } });
  assert.deepEqual(gas.call('getRuns'), runs);
  gas.call('getRuns', RUN);
  assert.ok((await backend.requests()).some((r) => r.url.endsWith('/runs?before=' + RUN)));
  assert.deepEqual(gas.call('getRun', RUN), run);
  assert.deepEqual(gas.call('getHealth'), health);
  await backend.configure({ routes: { [`POST /runs/${RUN}/undo`]: { status: 202, body: { job_id: 'undo-1', kind: 'undo', status: 'queued' } } } });
  assert.equal(gas.call('undoRun', RUN).job_id, 'undo-1');
  gas.call('undoRun', RUN, 142002);
  gas.call('undoRun', RUN, null, true);
  const undos = (await backend.requests()).filter((r) => r.url.endsWith('/undo')).map((r) => JSON.parse(r.body));
  assert.deepEqual(undos, [{}, { stage: 142002 }, { confirm: true }]);
  const sent = (await backend.requests()).length;
  for (const bad of ['../errors', '1764990000000-0A1B2C3D', '', 5]) {
    assert.throws(() => gas.call('getRun', bad), /\[not_found\]/);
    assert.throws(() => gas.call('getRuns', bad), /\[not_found\]/);
    assert.throws(() => gas.call('undoRun', bad), /\[not_found\]/);
  }
  assert.equal((await backend.requests()).length, sent);
});

test('every call before Set up says so', () => {
  const { gas } = createWorld({ backend });
  for (const fn of ['startConnect', 'getAmoMetadata', 'suggestMapping', 'getMapping', 'previewSync', 'startSync', 'getErrors', 'getRuns', 'getHealth', 'turnOnAutoSync', 'disconnect']) {
    assert.throws(() => gas.call(fn), /^Error: \[not_registered\]/, fn);
  }
});
