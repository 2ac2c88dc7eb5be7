/* global process, require */
/**
 * Preloaded into the API child by bench/lib/api.ts (`node --require`): starts and stops a V8 CPU profile of the
 * process when the bench asks over the IPC channel, so only the measured window is profiled (`--cpu-prof` would
 * profile start-up too, and writes nothing when the process ends by a signal); answers process.memoryUsage() on
 * request, to tell the JavaScript heap from buffers in the RSS. Does nothing without an IPC channel.
 */
'use strict';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const inspector = require('node:inspector');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs');

if (typeof process.send === 'function') {
  let session = null;
  process.on('message', (message) => {
    if (!message || typeof message !== 'object') return;
    if (message.type === 'profile-start') {
      session = new inspector.Session();
      session.connect();
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 500 }, () =>
          session.post('Profiler.start', (err) => process.send({ type: 'profile-started', error: err ? String(err) : undefined })),
        ),
      );
    } else if (message.type === 'memory') {
      process.send({ type: 'memory-usage', usage: process.memoryUsage() });
    } else if (message.type === 'profile-stop') {
      if (!session) return process.send({ type: 'profile-written', error: 'no profile running' });
      session.post('Profiler.stop', (err, result) => {
        if (!err) fs.writeFileSync(message.file, JSON.stringify(result.profile));
        session.disconnect();
        session = null;
        process.send({ type: 'profile-written', error: err ? String(err) : undefined });
      });
    }
  });
  // The IPC channel must not keep a finished process alive.
  if (process.channel) process.channel.unref();
}
