// The add-on's pure functions (addon/lib/rows.js, keys.js, outbox.js), loaded with no services at all.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { loadLib, plain } = require('./helpers/lib.js');

const { Rows, Keys, Outbox } = loadLib();
// Columns: 1 Name(col_name) 2 Phone(col_phone) 3 Notes(unmapped) 4 key 5 lead_id
const COLUMNS = { key: 4, own: [4, 5], byId: { col_name: 1, col_phone: 2, col_notes: 3 } };
let counter = 0;
const plan = (values, editedColumns, extra) =>
  plain(
    Rows.planEdit(
      Object.assign(
        { values, firstRow: 2, editedColumns, columns: COLUMNS, mapped: ['col_name', 'col_phone'], editedAt: 1000, newKey: () => 'rNew' + ++counter, isKey: Keys.isKey },
        extra || {}
      )
    )
  );

test('span: rows below the header and within the data; nothing for header-only or empty edits', () => {
  const table = [
    [[1, 1, 1, 10], null], // the header row
    [[1, 3, 1, 10], { first: 2, last: 3 }], // header + two rows
    [[5, 9, 1, 6], { first: 5, last: 6 }], // cut to the last data row
    [[8, 9, 1, 6], null], // below the data: cleared cells of empty rows
    [[2, 2, 2, 10], null], // the header is row 2 here
    [[3, 3, 2, 10], { first: 3, last: 3 }],
  ];
  for (const [args, expected] of table) assert.deepEqual(plain(Rows.span(...args)), expected, JSON.stringify(args));
});

test('planEdit: a row with a key sends all mapped columns when a mapped column was edited', () => {
  const out = plan([['Anna', '+7912', 'vip', 'rAnna0000001', '101']], { first: 2, last: 2 });
  assert.deepEqual(out, { keyColumn: null, rows: [{ key: 'rAnna0000001', row: 2, edited_at: 1000, values: { col_name: 'Anna', col_phone: '+7912' }, edited: ['col_phone'] }], skipped: [], unkeyed: 0 });
});

test('planEdit: `edited` names the mapped columns the edit touched, and only those', () => {
  const line = ['Anna', '+7912', 'vip', 'rAnna0000001', '101'];
  assert.deepEqual(plan([line], { first: 1, last: 3 }).rows[0].edited, ['col_name', 'col_phone']);
  assert.deepEqual(plan([line], { first: 1, last: 1 }).rows[0].edited, ['col_name']);
  assert.deepEqual(plan([line], { first: 2, last: 5 }).rows[0].edited, ['col_phone']);
});

test('planEdit: an edit of unmapped columns only sends nothing', () => {
  assert.deepEqual(plan([['Anna', '+7912', 'vip', 'rAnna0000001', '']], { first: 3, last: 3 }).rows, []);
});

test('planEdit: new rows get keys, existing keys and empty rows are left alone', () => {
  counter = 0;
  const out = plan([['Anna', '', '', 'rAnna0000001', ''], ['Boris', '', '', '', ''], ['', '', '', '', ''], ['', '', 'note', '', '']], { first: 1, last: 3 });
  assert.deepEqual(out.keyColumn, [['rAnna0000001'], ['rNew1'], [''], ['rNew2']]);
  assert.deepEqual(out.rows.map((r) => [r.key, r.row]), [['rAnna0000001', 2], ['rNew1', 3], ['rNew2', 5]]);
});

test('planEdit: data only in the sync\'s own columns is not "data"', () => {
  const out = plan([['', '', '', '', '555']], { first: 1, last: 5 });
  assert.deepEqual(out.keyColumn, null);
  assert.deepEqual(out.rows, []);
});

test('planEdit: without a lock no key is made, and those rows are counted', () => {
  const out = plan([['Boris', '', '', '', '']], { first: 1, last: 1 }, { newKey: null });
  assert.deepEqual([out.keyColumn, out.rows, out.unkeyed], [null, [], 1]);
});

test('planEdit: a key cell holding something that is not a key is skipped, not overwritten', () => {
  const out = plan([['Anna', '', '', 'not a key!', '']], { first: 1, last: 1 });
  assert.deepEqual(out.keyColumn, null);
  assert.deepEqual(out.rows, []);
  assert.equal(out.skipped[0].row, 2);
});

test('planEdit: dates go as ISO strings, numbers and booleans as they are', () => {
  const out = plan([[new Date(Date.UTC(2026, 10, 24, 9, 30)), 250, '', 'rAnna0000001', '']], { first: 1, last: 2 });
  assert.deepEqual(out.rows[0].values, { col_name: '2026-11-24T09:30:00.000Z', col_phone: 250 });
});

test('keys: "r" + 12 base-62 characters from a UUID; they never look like numbers', () => {
  const key = Keys.fromUuid('9f86d081-884c-4d63-9a2f-0b1c2d3e4f50');
  assert.match(key, /^r[0-9A-Za-z]{12}$/);
  assert.equal(Keys.fromUuid('9f86d081-884c-4d63-9a2f-0b1c2d3e4f50'), key, 'deterministic');
  assert.notEqual(Keys.fromUuid('9f86d082-884c-4d63-9a2f-0b1c2d3e4f50'), key);
  assert.ok(Number.isNaN(Number(key)));
  assert.throws(() => Keys.fromUuid('nope'), /Not a UUID/);
  assert.ok(Keys.isKey('rAbc') && !Keys.isKey('a b') && !Keys.isKey('') && !Keys.isKey(12));
});

test('keys: a thousand from random UUIDs are distinct', () => {
  const crypto = require('node:crypto');
  const keys = new Set(Array.from({ length: 1000 }, () => Keys.fromUuid(crypto.randomUUID())));
  assert.equal(keys.size, 1000);
});

test('outbox merge: one row per key, the newest edit wins, oldest first', () => {
  const queued = [{ key: 'a', edited_at: 1, values: { n: 'old' } }, { key: 'b', edited_at: 2 }];
  const fresh = [{ key: 'a', edited_at: 3, values: { n: 'new' } }, { key: 'c', edited_at: 0 }];
  assert.deepEqual(plain(Outbox.merge(queued, fresh)).map((r) => [r.key, r.edited_at]), [['c', 0], ['b', 2], ['a', 3]]);
  assert.equal(plain(Outbox.merge([{ key: 'a', edited_at: 9 }], [{ key: 'a', edited_at: 5 }]))[0].edited_at, 9, 'a late arrival never wins');
});

test('outbox merge: the columns of merged edits add up; a row queued without them leaves none', () => {
  const older = { key: 'a', edited_at: 1, values: { n: 'x', p: '1' }, edited: ['n'] };
  const newer = { key: 'a', edited_at: 2, values: { n: 'x', p: '2' }, edited: ['p'] };
  assert.deepEqual(plain(Outbox.merge([older], [newer]))[0], { key: 'a', edited_at: 2, values: { n: 'x', p: '2' }, edited: ['p', 'n'] });
  assert.deepEqual(plain(Outbox.merge([newer], [older]))[0].edited, ['p', 'n'], 'whichever arrives last');
  const legacy = { key: 'a', edited_at: 1, values: { n: 'x', p: '1' } };
  assert.equal('edited' in plain(Outbox.merge([legacy], [newer]))[0], false, 'unknown columns: every value is the person\'s');
  assert.deepEqual(older.edited, ['n'], 'the queued row itself is not changed');
});

test('refresh: queued rows are read again before they go; a key gone or repeated sends no values', () => {
  const columns = { key: 4, own: [4, 5], roles: { lead_id: 5 }, byId: { col_name: 1, col_phone: 2 } };
  const sheet = { 2: ['Anna', '+7000', 'vip', 'rAnna0000001', '101'], 3: ['Boris', '', '', 'rBori0000001', ''], 4: ['Boris', '', '', 'rBori0000001', ''] };
  const keys = [['rAnna0000001'], ['rBori0000001'], ['rBori0000001']];
  const queued = [
    { key: 'rAnna0000001', row: 7, edited_at: 5, values: { col_name: 'Anna', col_phone: '+7912' }, edited: ['col_name'] },
    { key: 'rBori0000001', row: 3, edited_at: 6, values: { col_name: 'Boris', col_phone: '' }, lead_id: '102', edited: ['col_name'] },
    { key: 'rGone0000001', row: 4, edited_at: 7, values: { col_name: 'Vera', col_phone: '' }, edited: ['col_name'] },
  ];
  const out = plain(Rows.refresh(queued, keys, 2, (n) => sheet[n], columns, ['col_name', 'col_phone', 'col_gone']));
  assert.deepEqual(out, [
    { key: 'rAnna0000001', edited_at: 5, row: 2, edited: ['col_name'], values: { col_name: 'Anna', col_phone: '+7000' }, lead_id: '101' },
    { key: 'rBori0000001', edited_at: 6 },
    { key: 'rGone0000001', edited_at: 7 },
  ]);
});

test('outbox pack: parts of at most N UTF-8 bytes, oldest rows first; what does not fit is handed back', () => {
  const rows = Array.from({ length: 50 }, (_, i) => ({ key: 'k' + i, edited_at: i, values: { name: 'Имя ' + i } }));
  const out = plain(Outbox.pack(rows, 1000, 3));
  assert.equal(out.parts.length, 3);
  for (const part of out.parts) assert.ok(Buffer.byteLength(JSON.stringify(part)) <= 1000);
  const kept = out.parts.flat();
  assert.deepEqual(kept.concat(out.left).map((r) => r.key), rows.map((r) => r.key), 'oldest kept, order kept, nothing dropped silently');
  const next = out.left[0];
  assert.ok(Buffer.byteLength(JSON.stringify(out.parts[2].concat([next]))) > 1000, 'the last part is full');
  assert.deepEqual(plain(Outbox.pack([{ key: 'big', edited_at: 1, values: { n: 'x'.repeat(2000) } }], 1000, 3)).left.map((r) => r.key), ['big']);
  assert.deepEqual(plain(Outbox.pack([], 1000, 3)), { parts: [], left: [] });
  assert.equal(Outbox.utf8Length('aЖ🙂'), 1 + 2 + 4);
});

test('outbox without: delivered rows leave; a row edited again since stays', () => {
  const rows = [{ key: 'a', edited_at: 1 }, { key: 'b', edited_at: 5 }, { key: 'c', edited_at: 2 }];
  const delivered = [{ key: 'a', edited_at: 1 }, { key: 'b', edited_at: 4 }];
  assert.deepEqual(plain(Outbox.without(rows, delivered)).map((r) => r.key), ['b', 'c']);
});

test('planEdit sends the lead-id cell when the row has one, and nothing for it when it is empty', () => {
  const cols = { key: 4, own: [4, 5], roles: { key: 4, lead_id: 5 }, byId: { col_name: 1, col_phone: 2 } };
  const out = plain(
    Rows.planEdit({ values: [['Ann', '+7 1', '', 'rKeyRowTwo000', 31], ['Bob', '+7 2', '', 'rKeyRowThree0', '']], firstRow: 2, editedColumns: { first: 1, last: 2 }, columns: cols, mapped: ['col_name', 'col_phone'], editedAt: 5, newKey: null, isKey: Keys.isKey })
  );
  assert.equal(out.rows[0].lead_id, 31);
  assert.equal('lead_id' in out.rows[1], false);
});

test('locate: each answered key\'s row now, wherever sorting put it; missing keys are left out', () => {
  const keyColumn = [['rB'], [''], [' rA '], ['rB']];
  assert.deepEqual(plain(Rows.locate(keyColumn, 2, ['rA', 'rB', 'rGone'])), { rA: 4, rB: 2 });
});

test('answerWrites: own columns always; a mapped cell only while it holds what the edit sent', () => {
  const cols = { key: 4, own: [4, 5, 6, 7], roles: { key: 4, lead_id: 5, link: 6, sync: 7 }, byId: { col_name: 1, col_phone: 2 } };
  const sent = { key: 'rA', values: { col_name: 'ann', col_phone: '89120000001' } };
  const answer = { key: 'rA', cells: { lead_id: 31, link: 'https://x/leads/detail/31', sync: '✓ now', col_name: 'Ann', col_phone: '+7 912 000-00-01', col_gone: 'x' } };
  // the person retyped the phone meanwhile: the newer typing stays (and is on its way to the backend)
  const line = ['ann', '+7 999', '', 'rA', '', '', ''];
  assert.deepEqual(plain(Rows.answerWrites(line, answer, sent, cols)), [
    { column: 1, value: 'Ann' },
    { column: 5, value: 31 },
    { column: 6, value: 'https://x/leads/detail/31' },
    { column: 7, value: '✓ now' },
  ]);
  // a row that was not sent from here (another execution's answer): only the own columns
  assert.deepEqual(plain(Rows.answerWrites(line, answer, undefined, cols)).map((w) => w.column), [5, 6, 7]);
});

test('headers: each mapped column found and each system column, by id; a mapped column the sheet lacks is left out', () => {
  const columns = { key: 4, own: [4, 5], roles: { key: 4, lead_id: 5 }, byId: { col_name: 1, col_phone: 2 } };
  const line = [' Name ', 'E-mail', 'Notes', 'amo_sync_id', 42];
  assert.deepEqual(plain(Rows.headers(line, columns, ['col_name', 'col_phone', 'col_gone'])), {
    col_name: 'Name', // trimmed, as the backend compares them
    col_phone: 'E-mail', // renamed: the backend sees it and reads the sheet
    key: 'amo_sync_id',
    lead_id: '42', // a data row where the header row was: a number
  });
});
