// Every addon/*.html compiles the way Apps Script compiles templates, and the double fails where Apps
// Script fails. The generated form is the one the templates guide shows for HtmlTemplate.getCode()
// ("Debug templates", https://developers.google.com/apps-script/guides/html/templates#debug_templates):
// text → `output._ = '…';`, `<?= x ?>` → `output._$ = x ;`, `<?!= x ?>` → `output._ = x ;`,
// `<? code ?>` → `code ;`, line numbers kept, tags found anywhere (an HTML comment too).
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { createNodeGas, GasDoubles, ROOT } = require('../../sandbox/gas/node.js');

const { compile } = GasDoubles.html;
const ADDON = path.join(ROOT, 'addon');
const htmlFiles = fs.readdirSync(ADDON).filter((f) => f.endsWith('.html'));

const world = (files) => createNodeGas({ spreadsheet: { sheets: [{ title: 'Leads', sheetId: 0 }] }, files });

/** `fn(global)` in one execution: HtmlService as a script sees it. */
function inExecution(gas, fn) {
  const { global, finish } = gas.execution();
  try {
    return fn(global);
  } finally {
    finish();
  }
}

test('the project has HTML files to check', () => {
  assert.deepEqual(htmlFiles.sort(), ['Sidebar.html', 'SidebarCss.html', 'SidebarJs.html']);
});

for (const file of htmlFiles) {
  test('addon/' + file + ' compiles as an Apps Script template (getCode() form) and keeps its line numbers', () => {
    const text = fs.readFileSync(path.join(ADDON, file), 'utf8');
    const code = compile(text);
    assert.doesNotThrow(() => new Function('HtmlService', 'return ' + code), file + ': the generated code is valid JavaScript');
    // The guide: "The evaluated code preserves line numbers from the template."
    assert.equal(code.split('\n').length - 3, text.split('\n').length, file);
  });
}

test('getCode(): text, printing, force-printing and standard scriptlets in the documented form', () => {
  const code = compile('<b><?= data[i] ?></b>\n<? if (x) { ?><?!= raw ?><? } ?>');
  assert.ok(code.startsWith('(function() { var output = HtmlService.initTemplate(); '));
  assert.ok(code.includes("output._ = '<b>'; output._$ = data[i] ;output._ = '</b>\\n';\n if (x) { ;"), code);
  assert.ok(code.includes(' if (x) { ;output._ = raw ; } ;'), code);
  assert.ok(code.endsWith("return output.$out.append('');\n})();"));
});

test('a template with an empty <?= ?> inside an HTML comment fails at evaluate(), as in Apps Script', () => {
  const gas = world({ 'addon/Bad': '<!-- data escaped by <?= ?> -->\n<p>ok</p>' });
  inExecution(gas, (g) => {
    const t = g.HtmlService.createTemplateFromFile('addon/Bad');
    assert.match(t.getCode(), /output\._\$ = ;/);
    assert.throws(() => t.evaluate(), { name: 'SyntaxError' });
  });
});

test('a // comment in a scriptlet comments out the rest of its line (the guide\'s "Hierarchy of comments")', () => {
  const gas = world({});
  inExecution(gas, (g) => {
    const t = g.HtmlService.createTemplate('<? var x; // note ?> hidden\nshown <?= "a&b" ?>');
    assert.equal(t.evaluate().getContent(), 'shown a&amp;b');
  });
});

test('template variables are in scope; <?!= ?> prints as is; the result is a plain HtmlOutput', () => {
  const gas = world({});
  inExecution(gas, (g) => {
    const t = g.HtmlService.createTemplate("<? for (var i = 0; i < n; i++) { ?><i><?= i ?></i><? } ?><?!= '<hr>' ?>");
    t.n = 2;
    const out = t.evaluate();
    assert.equal(out.getContent(), '<i>0</i><i>1</i><hr>');
    assert.equal(typeof out.setTitle, 'function');
    assert.equal(out._, undefined, 'the special output object does not leak');
  });
});

test('the type check reads SidebarJs.html\'s script with every line where the .html has it', () => {
  const { scriptOnly } = require('./typecheck.js');
  const html = fs.readFileSync(path.join(ADDON, 'SidebarJs.html'), 'utf8');
  const js = scriptOnly(html);
  const [htmlLines, jsLines] = [html.split('\n'), js.split('\n')];
  assert.equal(jsLines.length, htmlLines.length);
  const at = htmlLines.findIndex((l) => l.includes('function setUiState('));
  assert.equal(jsLines[at], htmlLines[at]);
  assert.equal(jsLines[0], '', 'the <script> tag itself is blanked');
  assert.doesNotThrow(() => new Function(js));
});
