// Node loader for the Apps Script doubles: loads every addon/**/*.js file into a fresh `vm` context per
// execution (one global scope for all files, as on the Apps Script server), with the service doubles
// as globals, and gives UrlFetchApp a synchronous HTTP transport (a worker thread + Atomics.wait).
//
//   const { createNodeGas } = require('../../sandbox/gas/node.js');
//   const gas = createNodeGas({ routes: { 'https://sync.example.com/': 'http://127.0.0.1:8080/' } });
//   gas.open('NONE'); gas.call('getState'); gas.userEdit('Leads', 2, 1, [['Anna']]);
//
// Because the main thread blocks while the add-on waits for HTTP, a server the add-on talks to must run
// in another thread or process (tests use tests/addon/helpers/server.js, a worker thread).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { Worker, MessageChannel, receiveMessageOnPort } = require('node:worker_threads');

const HERE = __dirname;
const ROOT = path.resolve(HERE, '..', '..');
// The portable doubles, in dependency order (also the order a browser page loads them in).
const SHARED = ['bytes.js', 'runtime.js', 'memory-store.js', 'spreadsheet.js', 'ui.js', 'properties.js', 'utilities.js', 'sheets-store.js', 'urlfetch.js', 'scriptapp.js', 'htmlservice.js', 'gas.js', 'run-shim.js'];

for (const file of SHARED.concat(['transport-xhr.js'])) {
  vm.runInThisContext(fs.readFileSync(path.join(HERE, file), 'utf8'), { filename: path.join(HERE, file) });
}
const G = globalThis.GasDoubles;

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

/** The project as clasp pushes it: manifest, scripts (compiled once), HTML files by Apps Script name. */
function loadProject(root) {
  const base = root || ROOT;
  const files = walk(path.join(base, 'addon')).sort();
  const name = (f) => path.relative(base, f).replace(/\\/g, '/').replace(/\.(js|html)$/, '');
  return {
    manifest: JSON.parse(fs.readFileSync(path.join(base, 'appsscript.json'), 'utf8')),
    scripts: files.filter((f) => f.endsWith('.js')).map((f) => new vm.Script(fs.readFileSync(f, 'utf8'), { filename: f })),
    html: Object.fromEntries(files.filter((f) => f.endsWith('.html')).map((f) => [name(f), fs.readFileSync(f, 'utf8')])),
  };
}

let transportSingleton = null;

/** A synchronous HTTP client: the request goes to a worker; this thread sleeps until it answers. */
function syncHttpTransport() {
  if (transportSingleton) return transportSingleton;
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(path.join(HERE, 'sync-http-worker.js'), { workerData: { port: port2, flag }, transferList: [port2] });
  worker.unref();
  port1.unref();
  function once(req) {
    Atomics.store(flag, 0, 0);
    port1.postMessage(req);
    if (Atomics.wait(flag, 0, 0, req.timeoutMs + 5000) === 'timed-out') {
      throw Object.assign(new Error('Timeout: ' + req.url), { unreachable: true });
    }
    const res = receiveMessageOnPort(port1).message;
    if (res.unreachable) throw Object.assign(new Error(res.message), { unreachable: true });
    return res;
  }
  transportSingleton = function transport(req) {
    let res = once(req);
    for (let hops = 0; req.followRedirects && [301, 302, 303, 307, 308].includes(res.status) && hops < 5; hops++) {
      const location = res.headers.location || res.headers.Location;
      const asGet = res.status === 303 || ((res.status === 301 || res.status === 302) && req.method === 'POST');
      req = Object.assign({}, req, { url: new URL(location, req.url).href }, asGet ? { method: 'GET', body: null } : {});
      res = once(req);
    }
    return res;
  };
  return transportSingleton;
}

function atomicsSleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, ms));
}

/**
 * options: everything runtime.createState takes (user, identityToken, routes, now, …) plus
 * `spreadsheet` (memory-store init: {title, sheets: [{title, sheetId, values}]}) or `store` (an adapter),
 * and `root` (the repository to load addon/ and appsscript.json from).
 */
function createNodeGas(options) {
  const o = options || {};
  const project = loadProject(o.root);
  const crypto = globalThis.crypto;
  return G.createGas(
    Object.assign(
      {
        manifest: project.manifest,
        files: project.html,
        transport: syncHttpTransport(),
        sleep: atomicsSleep,
        random: () => crypto.getRandomValues(new Uint32Array(1))[0] / 2 ** 32,
      },
      o,
      { store: o.store || G.createMemoryStore(o.spreadsheet) }
    ),
    {
      newGlobal: () => vm.createContext({}),
      loadProject: (global) => project.scripts.forEach((s) => s.runInContext(global)),
    }
  );
}

module.exports = { createNodeGas, loadProject, syncHttpTransport, GasDoubles: G, SHARED, ROOT };
