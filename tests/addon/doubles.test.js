// The Apps Script doubles behave like Apps Script where the add-on depends on it (sandbox/gas/).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createNodeGas, syncHttpTransport, GasDoubles: G, SHARED } = require('../../sandbox/gas/node.js');
const { startFakeBackend } = require('./helpers/fake-backend.js');

const b = G.bytes;
const signed = (buf) => Array.from(buf, (x) => (x << 24) >> 24);

function world(options) {
  return createNodeGas(Object.assign({ spreadsheet: { sheets: [{ title: 'Leads', sheetId: 0, values: [['Name', 'Phone'], ['Anna', 1]] }] } }, options || {}));
}

/** Run `fn(global)` in one FULL execution (or the given mode) and return its result. */
function inExecution(gas, fn, authMode) {
  const { global, finish } = gas.execution({ authMode });
  try {
    return fn(global);
  } finally {
    finish();
  }
}

test('SHA-256, HMAC-SHA256, UTF-8 and base64 match node:crypto and Buffer', () => {
  for (const n of [0, 1, 55, 56, 63, 64, 65, 119, 1000]) {
    const data = crypto.randomBytes(n);
    const key = crypto.randomBytes(n % 3 === 0 ? 100 : 32); // keys longer than a block are hashed first
    assert.deepEqual(b.sha256(Array.from(data)), Array.from(crypto.createHash('sha256').update(data).digest()));
    assert.deepEqual(b.hmacSha256(Array.from(key), Array.from(data)), Array.from(crypto.createHmac('sha256', key).update(data).digest()));
    assert.equal(b.base64Encode(Array.from(data)), data.toString('base64'));
    assert.equal(b.base64Encode(Array.from(data), true), data.toString('base64').replace(/\+/g, '-').replace(/\//g, '_'));
    assert.deepEqual(b.base64Decode(data.toString('base64')), Array.from(data));
  }
  for (const s of ['', 'abc', 'Имя клиента', 'Städte 🏙', '\ud83d', 'x\u0000y']) {
    assert.deepEqual(b.utf8Encode(s), Array.from(Buffer.from(s, 'utf8')), JSON.stringify(s));
    assert.equal(b.utf8Decode(Array.from(Buffer.from(s, 'utf8'))), Buffer.from(s, 'utf8').toString('utf8'));
  }
});

test('Utilities hands out signed Int8 byte arrays, like Java byte[]', () => {
  const gas = world();
  inExecution(gas, (g) => {
    const digest = g.Utilities.computeDigest(g.Utilities.DigestAlgorithm.SHA_256, 'Анна', g.Utilities.Charset.UTF_8);
    const expected = crypto.createHash('sha256').update('Анна', 'utf8').digest();
    assert.deepEqual(Array.from(digest), signed(expected));
    assert.ok(digest.some((x) => x < 0) && digest.every((x) => x >= -128 && x <= 127));
    assert.equal(g.Utilities.base64Encode(digest), expected.toString('base64'), 'base64Encode takes signed bytes');
    assert.deepEqual(Array.from(g.Utilities.base64Decode('/w==')), [-1]);
    assert.equal(g.Utilities.base64EncodeWebSafe([-5, -1]), '-_8=');
    const mac = g.Utilities.computeHmacSha256Signature('message', 'key');
    assert.deepEqual(Array.from(mac), signed(crypto.createHmac('sha256', 'key').update('message').digest()));
    const byBytes = g.Utilities.computeHmacSha256Signature(g.Utilities.newBlob('message').getBytes(), g.Utilities.newBlob('key').getBytes());
    assert.deepEqual(Array.from(byBytes), Array.from(mac));
    assert.throws(() => g.Utilities.computeHmacSha256Signature('message', [1, 2]), /Cannot find method/);
    assert.deepEqual(Array.from(g.Utilities.newBlob('Ж').getBytes()), [-48, -106]);
    assert.equal(g.Utilities.newBlob('Ж').getDataAsString(), 'Ж');
    assert.match(g.Utilities.getUuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.throws(() => g.Utilities.base64Decode('@@@'), /Could not decode string/);
  });
});

test('Utilities.formatDate follows SimpleDateFormat in the given time zone', () => {
  const gas = world();
  const d = new Date(Date.UTC(2026, 0, 5, 21, 4, 9, 7));
  inExecution(gas, (g) => {
    assert.equal(g.Utilities.formatDate(d, 'Europe/Moscow', "yyyy-MM-dd'T'HH:mm:ss.SSSXXX"), '2026-01-06T00:04:09.007+03:00');
    assert.equal(g.Utilities.formatDate(d, 'UTC', 'EEE, d MMM yyyy hh:mm a Z'), 'Mon, 5 Jan 2026 09:04 PM +0000');
    assert.equal(g.Utilities.formatDate(d, 'America/New_York', "dd.MM.yy 'at' H:mm"), '05.01.26 at 16:04');
  });
});

test('properties: strings only, null when missing, 9 KB per value, shared or per user as documented', () => {
  const gas = world();
  inExecution(gas, (g) => {
    const doc = g.PropertiesService.getDocumentProperties();
    doc.setProperty('n', 42);
    assert.equal(doc.getProperty('n'), '42');
    assert.equal(doc.getProperty('missing'), null);
    doc.setProperty('big', 'x'.repeat(9 * 1024));
    assert.throws(() => doc.setProperty('big', 'x'.repeat(9 * 1024 + 1)), /Argument too large: value/);
    assert.throws(() => doc.setProperty('wide', 'Ж'.repeat(5000)), /Argument too large/, 'bytes, not characters');
    g.PropertiesService.getUserProperties().setProperty('mine', 'owner');
  });
  gas.state.user = { email: 'colleague@example.com' };
  inExecution(gas, (g) => {
    assert.equal(g.PropertiesService.getDocumentProperties().getProperty('n'), '42', 'document properties are shared');
    assert.equal(g.PropertiesService.getUserProperties().getProperty('mine'), null, 'user properties are not');
  });
});

test('the property store holds at most 500 KB', () => {
  const gas = world();
  inExecution(gas, (g) => {
    const doc = g.PropertiesService.getDocumentProperties();
    assert.throws(() => {
      for (let i = 0; i < 70; i++) doc.setProperty('fill' + i, 'y'.repeat(8000));
    }, /exceeded the property storage quota/);
  });
});

test('CacheService expires entries by the clock and caps the expiry at 6 hours', () => {
  let now = 0;
  const gas = world({ now: () => now });
  inExecution(gas, (g) => {
    const c = g.CacheService.getDocumentCache();
    c.put('a', '1', 10);
    c.put('b', '2', 100000);
    now = 9999;
    assert.equal(c.get('a'), '1');
    now = 10000;
    assert.equal(c.get('a'), null);
    now = 21600 * 1000 - 1;
    assert.equal(c.get('b'), '2');
    now = 21600 * 1000;
    assert.equal(c.get('b'), null);
  });
});

test('LockService: one document lock; tryLock times out, waitLock throws, the end of an execution releases', () => {
  let now = 0;
  const gas = world({ now: () => now, sleep: (ms) => (now += ms) });
  const first = gas.execution();
  assert.equal(first.global.LockService.getDocumentLock().tryLock(1000), true);
  inExecution(gas, (g) => {
    const lock = g.LockService.getDocumentLock();
    assert.equal(lock.tryLock(5000), false);
    assert.equal(now, 5000, 'it waited');
    assert.throws(() => lock.waitLock(100), /Lock timeout: another process was holding the lock for too long/);
    assert.equal(lock.hasLock(), false);
  });
  first.finish();
  assert.equal(gas.state.locks.document, null);
  inExecution(gas, (g) => assert.equal(g.LockService.getDocumentLock().tryLock(0), true));
});

test('ranges: values padded with "", copies out, Apps Script\'s errors for bad bounds and shapes', () => {
  const gas = world();
  inExecution(gas, (g) => {
    const sheet = g.SpreadsheetApp.getActiveSpreadsheet().getSheetByName('Leads');
    assert.deepEqual(sheet.getRange('A1:C2').getValues(), [['Name', 'Phone', ''], ['Anna', 1, '']]);
    assert.equal(sheet.getLastRow(), 2);
    assert.equal(sheet.getLastColumn(), 2);
    const values = sheet.getRange(2, 1, 1, 2).getValues();
    values[0][0] = 'changed';
    assert.equal(sheet.getRange('A2').getValue(), 'Anna', 'getValues returns a copy');
    assert.equal(sheet.getRange(2, 1, 3, 4).getA1Notation(), 'A2:D4');
    assert.equal(sheet.getRange('B:B').getA1Notation(), 'B:B');
    assert.equal(sheet.getRange('3:3').getA1Notation(), '3:3');
    assert.throws(() => sheet.getRange(0, 1), /The starting row of the range is too small/);
    assert.throws(() => sheet.getRange(1001, 1), /outside the dimensions of the sheet/);
    assert.throws(() => sheet.getRange('A1:B2').setValues([['x']]), /The data has 1 but the range has 2/);
    assert.throws(() => sheet.getRange('A1:B1').setValues([['x']]), /number of columns in the data does not match/);
  });
});

test('developer metadata: where it may go, finders, locations, and it follows inserted and deleted rows/columns', () => {
  const gas = world();
  inExecution(gas, (g) => {
    const ss = g.SpreadsheetApp.getActiveSpreadsheet();
    const sheet = ss.getSheetByName('Leads');
    const V = g.SpreadsheetApp.DeveloperMetadataVisibility;
    ss.addDeveloperMetadata('challenge', 'abc', V.DOCUMENT);
    sheet.getRange('B:B').addDeveloperMetadata('amo_sync_col', 'col_phone');
    sheet.getRange('3:3').addDeveloperMetadata('row', 'r3', V.PROJECT);
    assert.throws(() => sheet.getRange('A1:B2').addDeveloperMetadata('x'), /Adding developer metadata to arbitrary ranges is not currently supported/);

    const [found] = ss.createDeveloperMetadataFinder().withKey('challenge').withValue('abc').find();
    assert.equal(String(found.getLocation().getLocationType()), 'SPREADSHEET');
    assert.equal(String(found.getVisibility()), 'DOCUMENT');
    assert.equal(ss.createDeveloperMetadataFinder().withKey('challenge').withValue('other').find().length, 0);

    const column = () => sheet.createDeveloperMetadataFinder().withKey('amo_sync_col').find()[0].getLocation().getColumn();
    assert.equal(column().getColumn(), 2);
    assert.equal(column().getA1Notation(), 'B:B');
    sheet.insertColumnBefore(1);
    assert.equal(column().getColumn(), 3, 'moved right with its column');

    const row = () => sheet.createDeveloperMetadataFinder().withKey('row').find();
    sheet.insertRowsBefore(2, 2);
    assert.equal(row()[0].getLocation().getRow().getRow(), 5);
    assert.equal(sheet.getRange('A5:Z5').createDeveloperMetadataFinder().find().length, 0, 'a partial row does not contain row metadata');
    const crossing = sheet.getRange('A5:Z5').createDeveloperMetadataFinder().onIntersectingLocations().find();
    assert.deepEqual(crossing.map((m) => m.getKey()).sort(), ['amo_sync_col', 'row'], 'row 5 and column C both cross A5:Z5');
    assert.equal(sheet.getRange('4:6').createDeveloperMetadataFinder().find().length, 1);
    sheet.deleteRow(5);
    assert.equal(row().length, 0, 'deleted with its row');

    found.remove();
    assert.equal(ss.getDeveloperMetadata().length, 0);
  });
});

test('scopes and modes: openById needs the full spreadsheets scope; LIMITED cannot fetch', () => {
  const gas = world();
  inExecution(gas, (g) => assert.throws(() => g.SpreadsheetApp.openById('x'), /Required permissions: https:\/\/www.googleapis.com\/auth\/spreadsheets$/));
  inExecution(gas, (g) => {
    assert.throws(() => g.UrlFetchApp.fetch('https://sync.example.com/'), /permission to call UrlFetchApp.fetch/);
    assert.throws(() => g.ScriptApp.getIdentityToken(), /permission/);
    assert.equal(g.Session.getActiveUser().getEmail(), '');
  }, 'LIMITED');
  inExecution(gas, (g) => assert.equal(g.Session.getActiveUser().getEmail(), 'owner@example.com'));
});

test('ScriptApp: one trigger of each type per user per document; the identity token needs openid', () => {
  const gas = world({ identityToken: () => 'tok' });
  inExecution(gas, (g) => {
    const ss = g.SpreadsheetApp.getActiveSpreadsheet();
    g.ScriptApp.newTrigger('handleEdit').forSpreadsheet(ss).onEdit().create();
    assert.throws(() => g.ScriptApp.newTrigger('other').forSpreadsheet(ss).onEdit().create(), /too many edit triggers in this document/);
    g.ScriptApp.newTrigger('handleChange').forSpreadsheet(ss).onChange().create();
    assert.throws(() => g.ScriptApp.newTrigger('x').forSpreadsheet('another-file').onEdit().create(), /only create triggers for the file/);
    assert.deepEqual(g.ScriptApp.getUserTriggers(ss).map((t) => String(t.getEventType())), ['ON_EDIT', 'ON_CHANGE']);
    assert.equal(g.ScriptApp.getIdentityToken(), 'tok');
  });
  gas.state.user = { email: 'colleague@example.com' };
  inExecution(gas, (g) => {
    const ss = g.SpreadsheetApp.getActiveSpreadsheet();
    assert.deepEqual(g.ScriptApp.getUserTriggers(ss), [], 'a user sees only their own triggers');
    g.ScriptApp.newTrigger('handleEdit').forSpreadsheet(ss).onEdit().create();
  });
  assert.equal(gas.state.triggers.length, 3);
  const noOpenid = world({ identityToken: () => 'tok', grantedScopes: ['spreadsheets.currentonly'] });
  inExecution(noOpenid, (g) => assert.equal(g.ScriptApp.getIdentityToken(), null));
});

test('HtmlService: <? ?> runs, <?= ?> escapes, <?!= ?> prints as is; files from the project stay raw', () => {
  const gas = world({ files: { 'addon/T': '<p><?= name ?></p><? for (var i = 0; i < 2; i++) { ?><i><?= i ?></i><? } ?><?!= raw ?>' } });
  inExecution(gas, (g) => {
    const t = g.HtmlService.createTemplateFromFile('addon/T');
    t.name = '<b>"Anna" & co</b>';
    t.raw = '<hr>';
    assert.equal(t.evaluate().getContent(), '<p>&lt;b&gt;&quot;Anna&quot; &amp; co&lt;/b&gt;</p><i>0</i><i>1</i><hr>');
    assert.equal(g.HtmlService.createHtmlOutputFromFile('addon/T').getContent().slice(0, 14), '<p><?= name ?>');
    assert.throws(() => g.HtmlService.createHtmlOutputFromFile('addon/Missing'), /No HTML file named addon\/Missing/);
  });
});

test('UrlFetchApp over real HTTP: routes, muteHttpExceptions, form payloads, signed bytes, unreachable hosts', async () => {
  const backend = await startFakeBackend();
  try {
    const gas = world({ routes: { 'https://sync.example.com/': backend.origin } });
    inExecution(gas, (g) => {
      const res = g.UrlFetchApp.fetch('https://sync.example.com/api/v1/nowhere', { muteHttpExceptions: true });
      assert.equal(res.getResponseCode(), 404);
      assert.equal(JSON.parse(res.getContentText()).code, 'not_found');
      assert.equal(res.getHeaders()['Content-Type'], 'application/problem+json');
      assert.ok(res.getContent().every((x) => x >= -128 && x <= 127));
      assert.throws(() => g.UrlFetchApp.fetch('https://sync.example.com/api/v1/nowhere'), /Request failed for https:\/\/sync.example.com\/api\/v1\/nowhere returned code 404/);
      g.UrlFetchApp.fetch('https://sync.example.com/api/v1/form', { method: 'post', payload: { a: 'b c', d: 'é' }, muteHttpExceptions: true });
      assert.throws(() => g.UrlFetchApp.fetch('https://other.example.com/'), /not in the urlFetchWhitelist/);
    });
    const [, , form] = await backend.requests();
    assert.equal(form.body, 'a=b%20c&d=%C3%A9');
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
    await backend.stop();
    inExecution(gas, (g) => assert.throws(() => g.UrlFetchApp.fetch('https://sync.example.com/x'), /^Error: Address unavailable: https:\/\/sync.example.com\/x$/));
  } finally {
    await backend.close();
  }
});

test('executions start from fresh globals; only the services\' state survives', () => {
  const gas = world();
  const a = gas.execution();
  a.global.columnsCache_[0] = 'stale';
  a.global.PropertiesService.getDocumentProperties().setProperty('kept', 'yes');
  a.finish();
  inExecution(gas, (g) => {
    assert.deepEqual(Object.keys(g.columnsCache_), []);
    assert.equal(g.PropertiesService.getDocumentProperties().getProperty('kept'), 'yes');
  });
});

test('google.script.run shim: async, success and failure handlers, user objects, the bridge\'s copying rules', async () => {
  const gas = world();
  const script = G.createScriptShim((name, args) => gas.call(name, ...args));
  const ok = await new Promise((resolve) => script.run.withSuccessHandler((r, u) => resolve([r, u])).withUserObject('u1').getState());
  assert.deepEqual(ok, [{ activeSheet: 'Leads', stage: 'setup' }, 'u1']);
  const failed = await new Promise((resolve) => script.run.withFailureHandler((e) => resolve(e.message)).getErrors());
  assert.match(failed, /^\[not_registered\]/);
  const dateArg = await new Promise((resolve) => script.run.withFailureHandler((e) => resolve(e.message)).getJob(new Date()));
  assert.match(dateArg, /cannot pass \[object Date\]/);
  let sync = true;
  script.run.withSuccessHandler(() => {}).getState();
  sync = false;
  assert.equal(sync, false, 'handlers never run before the call returns');
});

test('the shared doubles need no Node API: they run in a bare context', () => {
  const dir = path.resolve(__dirname, '..', '..', 'sandbox', 'gas');
  const code = (f) => fs.readFileSync(path.join(dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const f of SHARED) assert.doesNotMatch(code(f), /\brequire\(|\bprocess\.|\bBuffer\b|\bTextEncoder\b|\batob\(/, f);
  const context = vm.createContext({ setTimeout });
  for (const f of SHARED.concat(['transport-xhr.js'])) vm.runInContext(fs.readFileSync(path.join(dir, f), 'utf8'), context);
  const out = vm.runInContext(
    `(function () {
      var D = globalThis.GasDoubles;
      var gas = D.createGas({ store: D.createMemoryStore({ sheets: [{ title: 'S', sheetId: 0, values: [['a']] }] }), manifest: { oauthScopes: ['spreadsheets.currentonly'] } },
        { newGlobal: function () { return {}; }, loadProject: function () {} });
      var ex = gas.execution();
      var g = ex.global;
      var v = g.SpreadsheetApp.getActiveSpreadsheet().getSheets()[0].getRange('A1').getValue();
      var h = g.Utilities.base64Encode(g.Utilities.computeHmacSha256Signature('m', 'k'));
      return v + ' ' + h;
    })()`,
    context
  );
  assert.equal(out, 'a ' + crypto.createHmac('sha256', 'k').update('m').digest('base64'));
});

test('the browser transport (synchronous XMLHttpRequest) maps status, headers, bytes and network errors', () => {
  const transport = syncHttpTransport();
  // A minimal synchronous XMLHttpRequest, as a browser offers one, backed by the Node transport.
  class FakeXhr {
    open(method, url, async) {
      assert.equal(async, false);
      Object.assign(this, { method, url, headers: {} });
    }
    overrideMimeType(m) {
      this.mime = m;
    }
    setRequestHeader(k, v) {
      this.headers[k] = v;
    }
    send(body) {
      if (this.url.includes('down')) {
        this.status = 0;
        return;
      }
      this.status = 201;
      this.responseText = String.fromCharCode(...Buffer.from('Жx', 'utf8'));
      this.sent = body;
    }
    getAllResponseHeaders() {
      return 'Content-Type: text/plain\r\nX-Test: 1\r\n';
    }
  }
  const xhr = G.createXhrTransport(FakeXhr);
  const res = xhr({ method: 'POST', url: 'http://x/', headers: { A: '1', Host: 'evil' }, body: [1, 2] });
  assert.deepEqual(res, { status: 201, headers: { 'content-type': 'text/plain', 'x-test': '1' }, body: Array.from(Buffer.from('Жx', 'utf8')) });
  assert.throws(() => xhr({ method: 'GET', url: 'http://down/', headers: {} }), (e) => e.unreachable === true);
  assert.equal(typeof transport, 'function');
});
