import { nodeVersionProblem } from './node-version';

// Checked before anything else is loaded: on an older Node.js a dependency would fail to load with a message
// that names neither the cause nor the cure.
const tooOld = nodeVersionProblem();
if (tooOld) {
  process.stderr.write(`${tooOld}\n`);
  process.exit(78); // EX_CONFIG
}

import('./start')
  .then(({ start }) => start())
  .catch((err: unknown) => {
    process.stderr.write(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
