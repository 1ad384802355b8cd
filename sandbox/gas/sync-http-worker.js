// Node only: the other half of node.js's synchronous HTTP transport. The main thread posts a request
// on `port` and sleeps in Atomics.wait; this worker performs it with node:http(s), posts the answer
// back and wakes the main thread. (Apps Script's UrlFetchApp is synchronous; Node's HTTP is not.)
'use strict';
const { workerData } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');

const { port, flag } = workerData;

function perform(req) {
  return new Promise((resolve) => {
    const url = new URL(req.url);
    const lib = url.protocol === 'https:' ? https : http;
    const body = req.body ? Buffer.from(req.body) : null;
    const headers = Object.assign({}, req.headers);
    if (body) headers['Content-Length'] = String(body.length);
    const r = lib.request(url, { method: req.method, headers, timeout: req.timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const out = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          const k = res.rawHeaders[i];
          out[k] = k in out ? [].concat(out[k], res.rawHeaders[i + 1]) : res.rawHeaders[i + 1];
        }
        resolve({ status: res.statusCode, headers: out, body: Array.from(Buffer.concat(chunks)) });
      });
      res.on('error', (e) => resolve({ unreachable: true, message: e.message }));
    });
    r.on('timeout', () => r.destroy(new Error('Timeout')));
    r.on('error', (e) => resolve({ unreachable: true, message: e.message }));
    if (body) r.write(body);
    r.end();
  });
}

port.on('message', async (req) => {
  const res = await perform(req);
  port.postMessage(res);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
