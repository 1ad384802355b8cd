// Main-thread handle on ./fake-backend-worker.js: start it, configure it, read what it received.
'use strict';
const path = require('node:path');
const { Worker } = require('node:worker_threads');

async function startFakeBackend(config) {
  const worker = new Worker(path.join(__dirname, 'fake-backend-worker.js'));
  let next = 1;
  const waiting = new Map();
  worker.on('message', ({ id, result, error }) => {
    const w = waiting.get(id);
    waiting.delete(id);
    if (error) w.reject(new Error(error));
    else w.resolve(result);
  });
  const send = (command, ...args) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, command, args });
    });
  if (config) await send('configure', config);
  const port = await send('start');
  return {
    port,
    origin: 'http://127.0.0.1:' + port + '/',
    configure: (patch) => send('configure', patch),
    requests: () => send('requests'),
    clearRequests: () => send('clearRequests'),
    secrets: () => send('secrets'),
    /** Stop listening (connections are refused) and listen again on the same port. */
    stop: () => send('stop'),
    start: () => send('start'),
    close: async () => {
      await send('stop');
      await worker.terminate();
    },
  };
}

module.exports = { startFakeBackend, SA: 'sync@test-project.iam.gserviceaccount.com' };
