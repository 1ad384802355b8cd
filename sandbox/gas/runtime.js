/*
 * The shared runtime of the Apps Script doubles: the state that outlives one execution (spreadsheet,
 * properties, caches, locks, triggers, UI records, the call log) and the per-execution context (its
 * AuthMode, the locks it holds). Every service double checks here whether it may run, so code that
 * would fail in Apps Script fails here too:
 *
 *  - AuthMode (reference/google.md §2.1): in NONE "no service that needs authorization is available;
 *    the docs' example shows that even PropertiesService reads must be skipped"; LIMITED (simple
 *    triggers) reaches the bound file, properties, cache and locks but not UrlFetch, triggers or the
 *    identity token; FULL reaches everything the granted scopes allow.
 *  - Scopes: each call names the scopes that allow it (the manifest's `oauthScopes` are "granted").
 *
 * Portable: plain JS attaching to globalThis.GasDoubles; no Node or DOM APIs.
 */
(function (root) {
  'use strict';
  const ns = (root.GasDoubles = root.GasDoubles || {});

  const SCOPE = 'https://www.googleapis.com/auth/';
  const MODES = ['NONE', 'CUSTOM_FUNCTION', 'LIMITED', 'FULL'];

  /** An Apps Script enum: frozen objects that print as their name; shared by every execution. */
  function makeEnum(names) {
    const e = {};
    for (const name of names) {
      e[name] = Object.freeze({ name: () => name, toString: () => name, toJSON: () => name, ordinal: () => names.indexOf(name) });
    }
    return Object.freeze(e);
  }

  const AuthMode = makeEnum(MODES);

  function scopeUrl(s) {
    return s === 'openid' || s.startsWith('https://') ? s : SCOPE + s;
  }

  /**
   * options: manifest (appsscript.json object), store (a spreadsheet store, see README), user
   * ({email}), identityToken (() => string|null), transport (sync HTTP, see urlfetch.js), routes
   * ({prefix: replacement}), files ({'addon/Sidebar': '<html>…'}), now (() => ms), sleep (ms => void),
   * random (() => [0,1)), authorization ({status: 'NOT_REQUIRED'|'REQUIRED', url}).
   */
  function createState(options) {
    const o = options || {};
    const manifest = o.manifest || {};
    return {
      manifest,
      granted: new Set((o.grantedScopes || manifest.oauthScopes || []).map(scopeUrl)),
      projectId: o.projectId || 'gas-project',
      scriptId: o.scriptId || 'script-id-0001',
      user: o.user || { email: 'owner@example.com' },
      store: o.store,
      active: { sheetId: null, range: null },
      properties: { script: new Map(), document: new Map(), user: new Map() },
      caches: { script: new Map(), document: new Map(), user: new Map() },
      locks: { document: null, script: null, user: new Map() },
      triggers: [],
      nextTriggerId: 1,
      ui: { menus: [], sidebars: [], alerts: [], toasts: [], dialogs: [] },
      calls: [],
      identityToken: o.identityToken || (() => null),
      transport: o.transport || null,
      routes: o.routes || {},
      files: o.files || {},
      now: o.now || (() => Date.now()),
      sleep: o.sleep || null,
      random: o.random || Math.random,
      authorization: o.authorization || { status: 'NOT_REQUIRED', url: null },
      logs: [],
      nextExecution: 1,
    };
  }

  /** One run of server code: a trigger, a menu item, a google.script.run call. */
  function createExecution(state, authMode) {
    const mode = authMode || AuthMode.FULL;
    if (!MODES.includes(String(mode))) throw new Error('Unknown AuthMode ' + mode);
    const ex = {
      id: state.nextExecution++,
      state,
      authMode: AuthMode[String(mode)],
      record(name, details) {
        state.calls.push(Object.assign({ name, execution: ex.id, mode: String(ex.authMode) }, details || {}));
      },
      /** Throw like Apps Script when this mode or the granted scopes do not allow `method`. */
      check(method, minMode, scopes) {
        const level = MODES.indexOf(String(ex.authMode));
        const needed = (scopes || []).map(scopeUrl);
        if (level < MODES.indexOf(minMode) || (needed.length && !needed.some((s) => state.granted.has(s)))) {
          ex.record('denied', { method });
          throw new Error(
            'You do not have permission to call ' + method + '. Required permissions: ' + (needed.join(', ') || minMode)
          );
        }
      },
      /** Locks this execution holds; Apps Script releases them when the script ends. */
      heldLocks: new Set(),
      finish() {
        for (const release of Array.from(ex.heldLocks)) release();
      },
    };
    return ex;
  }

  ns.runtime = { AuthMode, makeEnum, createState, createExecution, scopeUrl, SCOPE };
})(globalThis);
