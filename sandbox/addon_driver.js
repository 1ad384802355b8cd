// The real add-on (addon/) driven from the demo: one long-lived Node process running the Apps Script
// code over the gas doubles, its spreadsheet being the Sheets emulator's (sandbox/gas/sheets-store.js),
// its UrlFetchApp reaching the live backend, its identity tokens minted by the emulator's issuer.
//
//   node sandbox/addon_driver.js SHEETS_URL SPREADSHEET_ID USER BACKEND_URL AUDIENCE
// then one JSON command per line on stdin, one JSON answer per line on stdout:
//   {"call": "setUp"}                          a google.script.run call from the sidebar (FULL auth)
//   {"open": "FULL"}                           onOpen, as when the document is opened
//   {"edit": ["Leads", 2, 5, [["150000"]]]}    a person types: the cells change, installed triggers fire
// Answers: {"ok": true, "result": …} or {"ok": false, "error": "…"}.
'use strict';
const readline = require('node:readline');
const { createNodeGas, syncHttpTransport, GasDoubles: G } = require('./gas/node.js');

const [sheetsUrl, spreadsheetId, user, backendUrl, audience] = process.argv.slice(2);
const transport = syncHttpTransport();

function mintIdToken() {
  const res = transport({
    method: 'POST',
    url: sheetsUrl + '/_sandbox/id-token',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: user, sub: 'sub-' + user, aud: audience, issued_at: Date.now() / 1000 }),
    timeoutMs: 30000,
  });
  return JSON.parse(Buffer.from(res.body).toString('utf8')).id_token;
}

const gas = createNodeGas({
  store: G.createSheetsStore({ transport, baseUrl: sheetsUrl, spreadsheetId, user }),
  user: { email: user },
  identityToken: mintIdToken,
  routes: { 'https://sync.example.com/': backendUrl.replace(/\/?$/, '/') },
});

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  let answer;
  try {
    const cmd = JSON.parse(line);
    let result;
    if (cmd.call) result = gas.call(cmd.call, ...(cmd.args || []));
    else if (cmd.open) result = gas.open(cmd.open);
    else if (cmd.edit) result = gas.userEdit(...cmd.edit);
    else throw new Error('unknown command ' + line);
    answer = { ok: true, result: result === undefined ? null : result };
  } catch (e) {
    answer = { ok: false, error: String((e && e.message) || e) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
