// The sidebar's screens as the real add-on serves them, for tests/e2e/test_sidebar_layout.py: the page
// from showSidebar (template evaluated by the HtmlService double), and for each screen the answers the
// real server functions (addon/Server.js over the Apps Script doubles, talking to the fake backend of
// tests/addon) give to the sidebar's google.script.run calls. Prints one JSON object:
//   {html, screens: {name: {fn: [answer, …]}}} — a function's answers in call order ({error: message}
//   where the call failed); past the last one the call never returns (the sidebar stays in that state).
'use strict';
const { startFakeBackend } = require('../addon/helpers/fake-backend.js');
const { createWorld, connectWorld } = require('../addon/helpers/world.js');

const AMO = { connected: true, host: 'acme.amocrm.ru', name: 'Acme', status: 'ok', webhook: 'active' };
const HEADERS = ['Name', 'Phone', 'Email', 'Company', 'Budget', 'Stage', 'Responsible', 'City', 'Source', 'Next call', 'Full title', 'Notes'];
const FORMULA_INDEX = 10; // "Full title" is a formula

async function main() {
  const backend = await startFakeBackend();
  try {
    const rows = [
      ['Anna Petrova', '+79120000001', 'anna@example.com', 'Acme', 1500, 'New', 'Oleg', 'Perm', 'Site', '', { formula: '=A2&" — "&D2', value: 'Anna Petrova — Acme' }, ''],
      ['Boris Ivanov', '+79120000002', 'boris@example.com', 'Beta', 900, 'New', 'Oleg', 'Kazan', 'Call', '', { formula: '=A3&" — "&D3', value: 'Boris Ivanov — Beta' }, ''],
    ];
    const world = createWorld({ backend });
    const { gas, store } = world;
    store.write(0, 1, 1, [HEADERS]);
    store.write(0, 2, 1, rows);

    const screens = {};
    const setupState = gas.call('getState');
    screens.loading = { getState: [] };
    screens.setup = { getState: [setupState] };

    connectWorld(world, backend);
    await backend.configure({ connection: { amo: { connected: false }, mapping: null, errors: 0 } });
    screens.connect = { getState: [gas.call('getState')] };

    const headers = HEADERS.map((header, index) => ({ column: 'col_' + index, header, index }));
    const pipelines = [{ id: 7001, name: 'Sales', statuses: [{ id: 142001, name: 'New lead' }, { id: 142002, name: 'Talks' }] }];
    const fields = { lead: [{ id: 501, name: 'Source' }], contact: [{ id: 601, name: 'City' }] };
    await backend.configure({
      connection: { amo: AMO, mapping: null, errors: 0 },
      routes: {
        'GET /amo/metadata': { body: { pipelines, users: [], fields } },
        'GET /mapping': { body: { mapping: null, headers } },
        'POST /mapping/suggest': { body: { mapping: { pipeline_id: 7001, default_status_id: 142001, columns: [{ column: 'col_0', target: 'contact.name', direction: 'both', policy: 'newest' }, { column: 'col_' + FORMULA_INDEX, target: 'lead.name', direction: 'both', policy: 'newest' }] }, headers } },
      },
    });
    screens.mapping = {
      getState: [gas.call('getState')],
      getAmoMetadata: [gas.call('getAmoMetadata')],
      getMapping: [gas.call('getMapping')],
      suggestMapping: [gas.call('suggestMapping')],
    };

    // Ready: a colleague runs this document's auto-sync; two rows failed their last sync.
    const guards = [{ name: 'mass_change', tripped: true, reason: '90 % of the rows would change in amoCRM.' }];
    const errors = [{ key: 'rKeyRowTwo000', row: 2, message: 'amoCRM refused the e-mail "anna@@example.com".' }, { key: 'rKeyRowThree0', row: 3, message: 'The phone number has too few digits.' }];
    await backend.configure({
      connection: { amo: AMO, mapping: { columns: [] }, errors: 2 },
      routes: {
        'GET /errors': { body: { errors } },
        'POST /sync/preview': { body: { job_id: 'job-p', kind: 'preview', status: 'queued' } },
        'GET /jobs/job-p': { body: { job_id: 'job-p', status: 'waiting_confirmation', preview: { create: 12, update: 40, conflicts: 1, errors: 2 }, guards } },
        'POST /sync': { body: { job_id: 'job-s', kind: 'sync', status: 'queued' } },
        'GET /jobs/job-s': { body: { job_id: 'job-s', status: 'started', progress: { done: 21, total: 52, percent: 40 } } },
      },
    });
    gas.run('turnOnAutoSync', [], { user: { email: 'colleague@example.com' } });
    const ready = gas.call('getState');
    const common = { getState: [ready], getErrors: [gas.call('getErrors')] };
    const preview = gas.call('previewSync');
    const previewed = gas.call('getJob', 'job-p');
    screens.ready = common;
    screens.preview = Object.assign({ previewSync: [preview], getJob: [previewed] }, common);
    const running = gas.call('getJob', 'job-s');
    const finished = Object.assign({}, running, { status: 'finished', progress: { done: 52, total: 52, percent: 100 }, result: { created: 12, updated: 40, errors: 2 } });
    screens.progress = Object.assign({}, screens.preview, { startSync: [gas.call('startSync', true)], getJob: [previewed, running] });
    screens.result = Object.assign({}, screens.preview, { startSync: [gas.call('startSync', true)], getJob: [previewed, finished], getErrors: [common.getErrors[0], common.getErrors[0]] });

    // Activity and Health: a day of runs (one opened), and a health check with two problems.
    const at = (h, m) => '2026-12-05T' + String(h).padStart(2, '0') + ':' + String(m).padStart(2, '0') + ':00+00:00';
    const run = (id, trigger, h, m, summary, counts, changes) => ({
      run_id: id, trigger, started_at: at(h, m), finished_at: at(h, m), counts: Object.assign({ created: 0, updated_amo: 0, updated_sheet: 0, healed: 0, errors: 0 }, counts),
      changes, truncated: false, summary,
    });
    const runs = [
      run('1764946920000-a1b2c3d4', 'amocrm', 14, 2, '2 updated in the sheet.', { updated_sheet: 2 }, 2),
      run('1764945000000-b1b2c3d4', 'reconcile', 13, 30, '3 changes amoCRM did not announce were picked up.', { healed: 3 }, 3),
      run('1764943200000-c1b2c3d4', 'edit', 13, 0, '1 updated in amoCRM, 1 with errors.', { updated_amo: 1, errors: 1 }, 1),
      run('1764936000000-d1b2c3d4', 'sync_now', 11, 0, '12 created, 40 updated in amoCRM, 2 with errors.', { created: 12, updated_amo: 40, errors: 2 }, 52),
    ];
    const changes = [
      { key: 'rKeyRowTwo000', lead_id: 30512345, contact_id: 40512345, side: 'sheet', field: 'lead.status', before: '7001:142001', after: '7001:142002', why: 'amo_change', label: 'Stage', before_text: 'New lead', after_text: 'Talks' },
      { key: 'rKeyRowThree0', lead_id: 30512346, contact_id: 40512346, side: 'sheet', field: 'contact.email', before: 'boris@example.com', after: 'b.ivanov@beta-company.example.com', why: 'conflict_policy', label: 'Email', before_text: 'boris@example.com', after_text: 'b.ivanov@beta-company.example.com' },
    ];
    const health = {
      webhook: { ok: false, detail: 'amoCRM disabled the webhook after failed deliveries.', action: 'It is registered again within the hour; to do it now, reconnect amoCRM.', at: null },
      amo: { ok: true, detail: 'amoCRM answered recently.', action: '', at: at(14, 2) },
      token: { ok: true, detail: 'The amoCRM grant is fresh.', action: '', at: at(9, 15) },
      backlog: { ok: false, detail: '12 changes queued, about 95 s.', action: 'Runs are slow: amoCRM or Sheets may be limiting us. Nothing is lost; if it does not go down within the hour, look at the errors list or press Sync now.', at: null, queued: 12, estimate_s: 95 },
    };
    await backend.configure({
      routes: {
        'GET /runs': { body: { runs, next_before: runs[3].run_id } },
        ['GET /runs/' + runs[0].run_id]: { body: { run: runs[0], changes, next_offset: null } },
        'GET /health': { body: health },
      },
    });
    screens.activity = Object.assign({}, common, { getRuns: [gas.call('getRuns')], getRun: [gas.call('getRun', runs[0].run_id)] });
    screens.health = Object.assign({}, common, { getHealth: [gas.call('getHealth')] });
    // Undo this run: the undo is queued, finishes, and the list shows it on top.
    const undoRun = run('1764947000000-e1b2c3d4', 'undo', 14, 5, 'Undo: 1 restored, 1 kept (changed since).', { restored: 1, kept: 1 }, 2);
    await backend.configure({
      routes: {
        ['POST /runs/' + runs[0].run_id + '/undo']: { status: 202, body: { job_id: 'undo-1', kind: 'undo', status: 'queued' } },
        'GET /jobs/undo-1': { body: { job_id: 'undo-1', kind: 'undo', status: 'finished', progress: { phase: 'done', done: 1, total: 1, percent: 100 }, result: { restored: 1, kept: 1, leads_kept: 0 } } },
      },
    });
    const undone = { runs: [undoRun].concat(runs), next_before: runs[3].run_id };
    const keptItem = { key: 'rKeyRowThree0', lead_id: 30512346, field: 'lead.price', side: 'amo', now: '900', reason: 'changed in amoCRM since', at: at(14, 4), by: 'Maxim Manager' };
    const undoDetail = { run: Object.assign({}, undoRun, { undo_of: runs[0].run_id, kept: [keptItem] }), changes: [Object.assign({}, changes[0], { before: changes[0].after, after: changes[0].before, before_text: 'Talks', after_text: 'New lead', why: 'undo' })], next_offset: null };
    screens.undo = Object.assign({}, screens.activity, {
      getRuns: [screens.activity.getRuns[0], undone],
      undoRun: [gas.call('undoRun', runs[0].run_id)],
      getJob: [gas.call('getJob', 'undo-1')],
      getRun: [screens.activity.getRun[0], undoDetail],
    });
    // The same undo past the share-of-rows guard: it waits, says why, and goes on when confirmed.
    const guard = { name: 'share_of_rows', tripped: true, reason: 'the undo would change 52 of 60 synced rows (limit 20%)' };
    await backend.configure({
      routes: {
        ['POST /runs/' + runs[0].run_id + '/undo']: { status: 202, body: { job_id: 'undo-2', kind: 'undo', status: 'queued' } },
        'GET /jobs/undo-2': { body: { job_id: 'undo-2', kind: 'undo', status: 'waiting_confirmation', progress: { phase: 'done', done: 1, total: 1, percent: 100 }, preview: { rows: 52 }, guards: [guard] } },
      },
    });
    const waiting = [gas.call('undoRun', runs[0].run_id), gas.call('getJob', 'undo-2')];
    // Undo of the import (it created 12 leads): the stages of the sheet's pipeline are offered.
    const importDetail = { run: runs[3], changes: [], next_offset: null, undo_stages: [{ id: 142001, name: 'New lead' }, { id: 142002, name: 'Talks' }] };
    await backend.configure({
      routes: {
        'GET /runs': { body: { runs: [runs[3]], next_before: null } },
        ['GET /runs/' + runs[3].run_id]: { body: importDetail },
        ['POST /runs/' + runs[3].run_id + '/undo']: { status: 202, body: { job_id: 'undo-3', kind: 'undo', status: 'queued' } },
        'GET /jobs/undo-3': { body: { job_id: 'undo-3', kind: 'undo', status: 'finished', progress: { phase: 'done', done: 1, total: 1, percent: 100 }, result: { restored: 0, kept: 0, leads_kept: 12 } } },
      },
    });
    screens.undoImport = Object.assign({}, common, {
      getRuns: [gas.call('getRuns'), gas.call('getRuns')],
      getRun: [gas.call('getRun', runs[3].run_id)],
      undoRun: [gas.call('undoRun', runs[3].run_id, 142002)],
      getJob: [gas.call('getJob', 'undo-3')],
    });
    screens.undoGuard = Object.assign({}, screens.undo, {
      undoRun: [waiting[0], screens.undo.undoRun[0]],
      getJob: [waiting[1], screens.undo.getJob[0]],
    });

    await backend.stop(); // the backend unreachable: the sidebar's first call fails
    try {
      gas.call('getState');
    } catch (e) {
      screens.failed = { getState: [{ error: String(e.message) }] };
    }
    await backend.start();

    gas.run('showSidebar', []);
    process.stdout.write(JSON.stringify({ html: gas.state.ui.sidebars.at(-1).content, screens }));
  } finally {
    await backend.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
