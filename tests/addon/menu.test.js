// onOpen/onInstall per AuthMode and the sidebar page (addon/Code.js, Sidebar*.html).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createWorld, lastExecution } = require('./helpers/world.js');

const items = (gas) => gas.state.ui.menus.at(-1).items.map((i) => i.caption + ' → ' + i.functionName);
const touched = (gas, ex) => gas.state.calls.filter((c) => c.execution === ex && (c.name.startsWith('Properties.') || c.name === 'denied'));

function registered(world) {
  world.gas.state.properties.document.set('amo_sync.connection_id', 'c_Registered01');
  world.gas.state.properties.document.set('amo_sync.secret', 'c2VjcmV0');
  world.gas.state.properties.document.set('amo_sync.sheet_id', '0');
  return world;
}

test('AuthMode.NONE: the menu is built without reading any property or calling any authorized service', () => {
  const { gas } = registered(createWorld());
  gas.open('NONE');
  assert.deepEqual(items(gas), ['Open sidebar → showSidebar', 'Sync now → menuSyncNow', 'Turn on auto-sync → menuTurnOnAutoSync']);
  assert.deepEqual(touched(gas, lastExecution(gas)), []);
  assert.equal(gas.state.ui.menus.at(-1).name, 'addon');
});

test('the doubles refuse property reads in AuthMode.NONE (so the test above means something)', () => {
  const { gas } = createWorld();
  const { global, finish } = gas.execution({ authMode: 'NONE' });
  assert.throws(() => global.PropertiesService.getDocumentProperties(), /You do not have permission to call PropertiesService.getDocumentProperties/);
  assert.throws(() => global.SpreadsheetApp.getActiveSpreadsheet(), /permission/);
  global.SpreadsheetApp.getUi().createAddonMenu(); // allowed
  finish();
});

test('AuthMode.LIMITED, not set up: only "Open sidebar"', () => {
  const { gas } = createWorld();
  gas.open('LIMITED');
  assert.deepEqual(items(gas), ['Open sidebar → showSidebar']);
  assert.ok(touched(gas, lastExecution(gas)).every((c) => c.name !== 'denied'));
});

test('AuthMode.LIMITED, set up: all three items, no trigger lookup (ScriptApp needs FULL)', () => {
  const { gas } = registered(createWorld());
  gas.open('LIMITED');
  assert.deepEqual(items(gas), ['Open sidebar → showSidebar', 'Sync now → menuSyncNow', 'Turn on auto-sync → menuTurnOnAutoSync']);
  assert.deepEqual(gas.state.calls.filter((c) => c.name === 'denied'), []);
});

test('AuthMode.FULL with auto-sync on: "Turn off auto-sync"', () => {
  const { gas } = registered(createWorld());
  gas.run('turnOnAutoSync', []);
  gas.open('FULL');
  assert.deepEqual(items(gas), ['Open sidebar → showSidebar', 'Sync now → menuSyncNow', 'Turn off auto-sync → menuTurnOffAutoSync']);
});

test('onInstall builds the same menu as onOpen', () => {
  const { gas } = registered(createWorld());
  gas.run('onInstall', (global, ex) => [{ authMode: ex.authMode }], { authMode: 'FULL' });
  assert.deepEqual(items(gas), ['Open sidebar → showSidebar', 'Sync now → menuSyncNow', 'Turn on auto-sync → menuTurnOnAutoSync']);
});

test('every menu item names a function the project defines', () => {
  const { gas } = registered(createWorld());
  gas.run('turnOnAutoSync', []);
  const names = new Set();
  for (const mode of ['NONE', 'LIMITED', 'FULL']) {
    gas.open(mode);
    gas.state.ui.menus.at(-1).items.forEach((i) => names.add(i.functionName));
  }
  const { global, finish } = gas.execution();
  for (const name of names) assert.equal(typeof global[name], 'function', name);
  finish();
});

test('the sidebar: includes inlined, data escaped into one attribute, 300 px, titled', () => {
  const { gas } = createWorld();
  gas.run('showSidebar', []);
  const [sidebar] = gas.state.ui.sidebars;
  assert.equal(sidebar.title, 'amoCRM Sync');
  assert.equal(sidebar.width, 300);
  assert.ok(!sidebar.content.includes('<?'), 'no scriptlet left');
  assert.ok(sidebar.content.includes('<style>') && sidebar.content.includes('function setUiState('));
  const attr = /data-config="([^"]*)"/.exec(sidebar.content)[1];
  const config = JSON.parse(attr.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  assert.equal(config.start, '');
  assert.equal(config.messages.unreachable.slice(0, 10), 'Cannot rea');
});

test('"Sync now" from the menu opens the sidebar ready to preview', () => {
  const { gas } = registered(createWorld());
  gas.run('menuSyncNow', []);
  assert.match(gas.state.ui.sidebars.at(-1).content, /data-config="\{&quot;start&quot;:&quot;sync&quot;/);
});

test('"Turn on auto-sync" from the menu installs the triggers and says so', () => {
  const { gas } = registered(createWorld());
  gas.run('menuTurnOnAutoSync', []);
  assert.deepEqual(gas.state.triggers.map((t) => t.handler), ['handleEdit', 'handleChange']);
  assert.match(gas.state.ui.toasts.at(-1).message, /as you type/);
});
