/*
 * The Apps Script "server" made of the doubles: one state (spreadsheet, properties, triggers, …) and
 * executions on top of it. Like Apps Script, every execution — a menu click, a trigger, a
 * google.script.run call — starts from a fresh global scope with the project's files loaded again, runs
 * one function, and releases its locks at the end; only the services' state survives between them.
 *
 * The platform supplies the global objects: node.js gives a `vm` context per execution; a browser page
 * can give an iframe's window. `platform = {newGlobal(): object, loadProject(global): void}`.
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});
  const { AuthMode, createState, createExecution } = ns.runtime;

  /** google.script.run passes only primitives and plain objects/arrays of them; a Date or function fails. */
  function toClient(value, path) {
    const where = path || 'value';
    if (value === undefined) return undefined;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return value;
    const kind = Object.prototype.toString.call(value);
    if (kind === '[object Date]' || typeof value === 'function') {
      throw new TypeError('google.script.run cannot pass ' + kind + ' at ' + where + ': send a string or number instead.');
    }
    if (Array.isArray(value)) {
      const list = []; // built here, so the copy belongs to the caller's realm, not the script's
      for (let i = 0; i < value.length; i++) list.push(value[i] === undefined ? null : toClient(value[i], where + '[' + i + ']'));
      return list;
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toClient(v, where + '.' + k);
    return out;
  }

  function install(target, ex) {
    const logs = ex.state.logs;
    const log = (level) => (...args) => logs.push({ level, message: args.map(String).join(' '), execution: ex.id });
    Object.assign(target, {
      SpreadsheetApp: ns.createSpreadsheetApp(ex),
      PropertiesService: ns.createPropertiesService(ex),
      CacheService: ns.createCacheService(ex),
      LockService: ns.createLockService(ex),
      UrlFetchApp: ns.createUrlFetchApp(ex),
      Utilities: ns.createUtilities(ex),
      ScriptApp: ns.createScriptApp(ex),
      Session: ns.createSession(ex),
      HtmlService: ns.createHtmlService(ex, target),
      Logger: { log: (fmt, ...rest) => (log('info')(rest.length ? fmt + ' ' + rest.join(' ') : fmt), target.Logger) },
      console: { log: log('info'), info: log('info'), warn: log('warning'), error: log('error') },
    });
  }

  function createGas(options, platform) {
    const state = createState(options);

    /** A fresh execution: new global scope, the services, the project's code. */
    function execution(opts) {
      const o = opts || {};
      const ex = createExecution(state, o.authMode);
      if (state.store.beginExecution) state.store.beginExecution(); // an adapter may drop cached sheet props
      const global = platform.newGlobal();
      install(global, ex);
      platform.loadProject(global);
      return { ex, global, finish: () => ex.finish() };
    }

    /** Run `fnName(...args)` in its own execution as `user` (default: the current user). */
    function run(fnName, args, opts) {
      const o = opts || {};
      const previousUser = state.user;
      if (o.user) state.user = o.user;
      const { ex, global, finish } = execution(o);
      try {
        if (typeof global[fnName] !== 'function') throw new Error('Script function not found: ' + fnName);
        const argv = typeof args === 'function' ? args(global, ex) : args || [];
        return toClient(global[fnName].apply(null, argv));
      } finally {
        finish();
        state.user = previousUser;
      }
    }

    const event = (global, ex, extra) =>
      Object.assign({ authMode: ex.authMode, user: global.Session.getActiveUser(), source: global.SpreadsheetApp.getActiveSpreadsheet() }, extra);

    /** The installable triggers of this document for `eventType`, each run as the user who made it. */
    function fire(eventType, build) {
      const docId = state.store.spreadsheet().spreadsheetId;
      return state.triggers
        .filter((t) => t.eventType === eventType && t.sourceId === docId)
        .map((t) => ({
          handler: t.handler,
          user: t.user,
          result: run(t.handler, (global, ex) => [event(global, ex, Object.assign({ triggerUid: t.uid }, build(global)))], {
            authMode: AuthMode.FULL,
            user: { email: t.user },
          }),
        }));
    }

    return {
      state,
      execution,
      run,
      /** A google.script.run call from the sidebar: FULL auth, result copied like the real bridge. */
      call: (fnName, ...args) => run(fnName, toClient(args), { authMode: AuthMode.FULL }),
      /** Open the document: onOpen(e) in the given mode (NONE has no source: no document access). */
      open(authMode) {
        const mode = authMode || AuthMode.LIMITED;
        return run('onOpen', (global, ex) => [String(mode) === 'NONE' ? { authMode: ex.authMode } : event(global, ex, {})], { authMode: mode });
      },
      /**
       * A person types or pastes `values` at (row, column) of `sheetName`: the cells change (not
       * recorded as script calls), then installable edit triggers fire. single-cell edits carry
       * value/oldValue; multi-cell edits do not (reference/google.md §2.3).
       */
      userEdit(sheetName, row, column, values) {
        const sheet = state.store.sheets().find((s) => s.title === sheetName);
        if (!sheet) throw new Error('No sheet ' + sheetName);
        const single = values.length === 1 && values[0].length === 1;
        const old = single ? state.store.read(sheet.sheetId, row, column, 1, 1)[0][0] : undefined;
        // A store that knows people from scripts (sheets-store.js) records a person's edit.
        if (state.store.userWrite) state.store.userWrite(sheet.sheetId, row, column, values);
        else state.store.write(sheet.sheetId, row, column, values);
        state.active = { sheetId: sheet.sheetId, range: { row, column, numRows: values.length, numColumns: values[0].length } };
        return fire('ON_EDIT', (global) => {
          const range = global.SpreadsheetApp.getActiveSpreadsheet().getSheetByName(sheetName).getRange(row, column, values.length, values[0].length);
          if (!single) return { range };
          const e = { range, value: values[0][0] };
          if (old !== '') e.oldValue = old;
          return e;
        });
      },
      /** A structural change (INSERT_ROW, REMOVE_ROW, …): installable change triggers fire. */
      userChange(changeType) {
        return fire('ON_CHANGE', () => ({ changeType }));
      },
    };
  }

  ns.createGas = createGas;
  ns.toClient = toClient;
})(globalThis);
