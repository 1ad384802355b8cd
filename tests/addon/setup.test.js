// Registering with proof of control (addon/Register.js via Server.setUp), connect and disconnect.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { startFakeBackend, SA } = require('./helpers/fake-backend.js');
const { createWorld, callsOf, lastExecution } = require('./helpers/world.js');

let backend;
test.before(async () => {
  backend = await startFakeBackend();
});
test.after(() => backend.close());
test.beforeEach(async () => {
  await backend.configure({ failures: [], idToken: 'test-id-token' });
  await backend.clearRequests();
});

test('setUp: challenge → share with the service account + DOCUMENT metadata → register → secret stored → challenge removed', async () => {
  const { gas, store } = createWorld({ backend });
  const state = gas.call('setUp');
  const ex = lastExecution(gas);

  const steps = gas.state.calls
    .filter((c) => c.execution === ex && ['UrlFetchApp.fetch', 'Spreadsheet.addEditor', 'DeveloperMetadata.add', 'DeveloperMetadata.remove'].includes(c.name))
    .map((c) => (c.name === 'UrlFetchApp.fetch' ? c.method + ' ' + c.url.replace('https://sync.example.com', '').replace(/c_\w+/, '{id}') : c.name));
  assert.deepEqual(steps, [
    'POST /api/v1/register/challenge',
    'Spreadsheet.addEditor',
    'DeveloperMetadata.add',
    'POST /api/v1/register',
    'DeveloperMetadata.remove',
    'GET /api/v1/connections/{id}',
  ]);
  const [added] = callsOf(gas, 'DeveloperMetadata.add', ex);
  assert.equal(added.visibility, 'DOCUMENT');
  assert.equal(added.locationType, 'SPREADSHEET');
  assert.deepEqual(store.editors(), [SA]);
  assert.deepEqual(store.searchMetadata(), [], 'the challenge metadata is gone');

  const requests = await backend.requests();
  const [challenge, register] = requests;
  assert.equal(challenge.headers['x-google-id-token'], 'test-id-token');
  assert.equal(challenge.headers['signature-input'], undefined, 'register is not signed: there is no secret yet');
  assert.deepEqual(JSON.parse(challenge.body), { spreadsheet_id: store.spreadsheet().spreadsheetId, sheet_id: 0, sheet_title: 'Leads' });
  assert.equal(JSON.parse(register.body).challenge_id.slice(0, 3), 'ch_');

  const secrets = await backend.secrets();
  const [id] = Object.keys(secrets);
  const props = gas.state.properties.document;
  assert.equal(props.get('amo_sync.connection_id'), id);
  assert.equal(props.get('amo_sync.secret'), secrets[id]);
  assert.equal(props.get('amo_sync.sheet_id'), '0');
  assert.equal(requests[2].signature.ok, true, 'the first signed call verifies with the new secret');
  assert.equal(state.stage, 'connect');
});

test('setUp does not share again when the service account is already an editor', async () => {
  const { gas, store } = createWorld({ backend });
  store.addEditor(SA);
  gas.call('setUp');
  assert.equal(callsOf(gas, 'Spreadsheet.addEditor').length, 0);
});

test('a refused registration stores nothing and still removes the challenge', async () => {
  const { gas, store } = createWorld({ backend });
  await backend.configure({ failures: [{ path: '/api/v1/register', exact: true, status: 403, times: 1, body: { status: 403, code: 'proof_failed', detail: 'no' } }] });
  assert.throws(() => gas.call('setUp'), /^Error: \[proof_failed\] The sync service could not confirm you can edit this spreadsheet/);
  assert.deepEqual(store.searchMetadata(), []);
  assert.equal(gas.state.properties.document.size, 0);
});

test('setUp without an identity token stops before contacting the backend', async () => {
  const { gas } = createWorld({ backend, gas: { identityToken: () => null } });
  assert.throws(() => gas.call('setUp'), /\[no_identity\]/);
  assert.deepEqual(await backend.requests(), []);
});

test('setUp when sharing is blocked by the domain explains it', async () => {
  const { gas, store } = createWorld({ backend });
  store.addEditor = () => {
    throw new Error('Access denied: sharing outside the domain is not allowed');
  };
  assert.throws(() => gas.call('setUp'), /\[share_failed\]/);
  assert.deepEqual(store.searchMetadata(), []);
});

test('startConnect signs the call and adds the ID token; disconnect forgets everything', async () => {
  const { gas } = createWorld({ backend });
  gas.call('setUp');
  gas.call('turnOnAutoSync');
  const ticket = gas.call('startConnect');
  assert.match(ticket.url, /\/connect\?ticket=t1$/);
  assert.equal(ticket.expiresIn, 600);
  assert.deepEqual(gas.call('disconnect'), { stage: 'setup' });
  const requests = (await backend.requests()).slice(-2);
  assert.deepEqual(requests.map((r) => [r.method, r.headers['x-google-id-token'], r.signature.ok]), [
    ['POST', 'test-id-token', true],
    ['DELETE', 'test-id-token', true],
  ]);
  // Only the record that auto-sync is off stays, so a colleague's old trigger removes itself.
  assert.deepEqual([...gas.state.properties.document.keys()], ['amo_sync.auto_sync']);
  assert.equal(JSON.parse(gas.state.properties.document.get('amo_sync.auto_sync')).on, false);
  assert.deepEqual(gas.state.triggers, []);
  assert.deepEqual(gas.call('getState'), { activeSheet: 'Leads', stage: 'setup' });
});
