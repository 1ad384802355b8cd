// addon/lib/*.js loaded into a bare `vm` context — no Apps Script services, no Node APIs — the way the
// add-on's pure functions must work. Returns the context (Signing, Rows, Keys, Outbox, Messages).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const LIB = path.resolve(__dirname, '..', '..', '..', 'addon', 'lib');

function loadLib() {
  const context = vm.createContext({});
  for (const f of fs.readdirSync(LIB).filter((n) => n.endsWith('.js')).sort()) {
    vm.runInContext(fs.readFileSync(path.join(LIB, f), 'utf8'), context, { filename: path.join(LIB, f) });
  }
  return context;
}

/** A value from the vm realm, as plain main-realm data (for deepStrictEqual). */
const plain = (v) => JSON.parse(JSON.stringify(v));

module.exports = { loadLib, plain };
