// The real Sheets emulator (sandbox/sheets) as a child process on a free loopback port, for tests of
// the emulator-backed spreadsheet store. Python: $PYTHON, else the repository's .venv, else python3.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..', '..', '..');

function python() {
  if (process.env.PYTHON) return process.env.PYTHON;
  const venv = path.join(ROOT, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

/** → {url, admin(method, path, body), v4(method, path, body, token), stop()} once the emulator listens. */
function startSheetsEmulator() {
  const child = spawn(python(), ['-m', 'sandbox', 'sheets', '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('the Sheets emulator did not start in 30 s:\n' + output)), 30000);
    function fail(err) {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    }
    child.on('exit', (code) => fail(new Error('the Sheets emulator exited with ' + code + ':\n' + output)));
    child.stderr.on('data', (d) => (output += d));
    child.stdout.on('data', (d) => {
      output += d;
      const m = /api_endpoint=(http:\/\/[^/\s]+)\//.exec(output);
      if (!m) return;
      clearTimeout(timer);
      child.removeAllListeners('exit');
      const url = m[1];
      const call = async (method, p, body, headers) => {
        const res = await fetch(url + p, {
          method,
          headers: Object.assign(body === undefined ? {} : { 'Content-Type': 'application/json' }, headers || {}),
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(method + ' ' + p + ' → ' + res.status + ' ' + text);
        return text ? JSON.parse(text) : {};
      };
      resolve({
        url,
        admin: (method, p, body) => call(method, '/_sandbox' + p, body),
        /** A Sheets API v4 call; no token = the anonymous principal (the backend's service account). */
        v4: (method, p, body, token) => call(method, '/v4' + p, body, token ? { Authorization: 'Bearer ' + token } : {}),
        stop: () =>
          new Promise((done) => {
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

module.exports = { startSheetsEmulator };
