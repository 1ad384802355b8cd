/*
 * The page's Apps Script "server": the gas doubles (sandbox/gas/) running the real add-on code.
 *
 *  - executions: each one gets a fresh hidden iframe, whose window is the global scope the add-on's
 *    files are evaluated in (as on Google's servers, every run starts from fresh globals);
 *  - SpreadsheetApp: the Sheets-emulator store (sheets-store.js) through the page's /proxy/sheets/;
 *  - UrlFetchApp: a synchronous XMLHttpRequest (transport-xhr.js); the add-on's BACKEND_URL is routed to
 *    the page's /proxy/backend/ (a hosts-file entry: the add-on still signs its own URL's path);
 *  - ScriptApp.getIdentityToken(): minted by the Sheets emulator's Google ID-token issuer for the
 *    add-on's audience, so the backend's real google-auth verification runs;
 *  - what Apps Script keeps between executions (document/user/script properties, installed triggers)
 *    is saved in localStorage per spreadsheet, so a reload is "the same document opened again".
 * Everything is synchronous, so a server call blocks the page for its duration, like a busy sidebar.
 */
(function () {
  'use strict';
  const G = window.GasDoubles;

  function syncJson(method, url, body) {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url, false);
    xhr.setRequestHeader('Content-Type', 'application/json');
    xhr.send(body === undefined ? null : JSON.stringify(body));
    if (xhr.status < 200 || xhr.status >= 300) throw new Error(method + ' ' + url + ' → ' + xhr.status + ' ' + xhr.responseText);
    return JSON.parse(xhr.responseText);
  }

  /** Properties and triggers outlive executions (Google keeps them); here they outlive a page reload. */
  function persistence(state, key) {
    const saved = JSON.parse(localStorage.getItem(key) || 'null');
    if (saved) {
      state.properties.document = new Map(Object.entries(saved.document));
      state.properties.script = new Map(Object.entries(saved.script));
      state.properties.user = new Map(Object.entries(saved.user).map(([email, p]) => [email, new Map(Object.entries(p))]));
      state.triggers = saved.triggers;
      state.nextTriggerId = saved.nextTriggerId;
    }
    return function save() {
      const p = state.properties;
      localStorage.setItem(
        key,
        JSON.stringify({
          document: Object.fromEntries(p.document),
          script: Object.fromEntries(p.script),
          user: Object.fromEntries(Array.from(p.user, ([email, m]) => [email, Object.fromEntries(m)])),
          triggers: state.triggers,
          nextTriggerId: state.nextTriggerId,
        })
      );
    };
  }

  /** config: the page's settings; project: /project.json. → {gas, run(label, fn), backendUrl} */
  function createServer(config, project, hooks) {
    const h = hooks || {};
    const transport = G.createXhrTransport();
    const store = G.createSheetsStore({ transport, baseUrl: location.origin + '/proxy/sheets', spreadsheetId: config.spreadsheetId, user: config.user });
    let frame = null;
    const platform = {
      newGlobal() {
        if (frame) frame.remove(); // executions never overlap: the previous one is over
        frame = document.createElement('iframe');
        frame.hidden = true;
        frame.title = 'Apps Script execution';
        document.body.appendChild(frame);
        return frame.contentWindow;
      },
      loadProject(global) {
        for (const s of project.scripts) global.eval(s.source + '\n//# sourceURL=' + s.name);
      },
    };
    const gas = G.createGas(
      {
        manifest: project.manifest,
        files: project.html,
        store,
        transport,
        user: { email: config.user },
        identityToken: () =>
          syncJson('POST', '/proxy/sheets/_sandbox/id-token', { email: config.user, aud: config.audience, issued_at: Date.now() / 1000 }).id_token,
        random: () => crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32,
        sleep: (ms) => {
          const until = Date.now() + ms; // only a contended lock waits, and executions never overlap here
          while (Date.now() < until);
        },
      },
      platform
    );
    const save = persistence(gas.state, 'amo-sync-sandbox:' + config.spreadsheetId);

    // The add-on names its backend in CONFIG.BACKEND_URL; route that prefix to the page's proxy.
    const probe = gas.execution({});
    const backendUrl = probe.global.CONFIG.BACKEND_URL;
    probe.finish();
    gas.state.routes[backendUrl] = location.origin + '/proxy/backend/';

    /** Run one execution (fn calls gas.*), then persist and report what it did. */
    function run(label, fn) {
      const started = performance.now();
      const logsBefore = gas.state.logs.length;
      if (h.busy) h.busy(true);
      try {
        return fn(gas);
      } finally {
        save();
        if (h.busy) h.busy(false);
        if (h.executed) h.executed({ label, ms: Math.round(performance.now() - started), logs: gas.state.logs.slice(logsBefore) });
      }
    }

    return { gas, run, backendUrl, store };
  }

  window.SandboxAppsScript = { createServer };
})();
