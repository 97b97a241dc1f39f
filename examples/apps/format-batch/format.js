'use strict';
// A batch formatting check on prettier's Node API, the way a pre-commit
// script does it: every file of a folder (../generated/format-batch/ by
// default, 31 files from inputs.js, one unparsable) is formatted in memory
// and compared with what is on disk; the report lists what would change and
// what could not be parsed.  A spinner shows progress on stderr while it runs.
//
// APP_DEFECT turns one planted defect on (the marked lines); without it the
// same job does the right thing.  The files are read one after another: they
// are small, so reading them together would save next to nothing.
const fs = require('node:fs');
const path = require('node:path');
const prettier = require('prettier');

const defect = process.env.APP_DEFECT || '';
const folder = path.resolve(process.argv[2] || path.join(__dirname, '..', 'generated', 'format-batch'));

function startSpinner(state) {
  const frames = ['|', '/', '-', '\\'];
  let frame = 0;
  return setInterval(() => { // looptrace-expect(leak): leaked-handle warning
    state.frames++;
    if (process.stderr.isTTY) process.stderr.write(`\r${frames[frame++ % 4]} ${state.done} files`);
  }, 80);
}

async function main() {
  const files = (await fs.promises.readdir(folder)).filter((f) => f.endsWith('.js')).sort();
  const state = { done: 0, frames: 0 };
  const spinner = startSpinner(state);
  const changed = [];
  const unparsable = [];
  const pending = [];
  for (const file of files) {
    const filepath = path.join(folder, file);
    const source = await fs.promises.readFile(filepath, 'utf8');
    if (defect === 'rejection') {
      // Formats "in the background" to go faster, with no catch: the
      // unparsable file rejects and nobody handles it.
      pending.push(prettier.format(source, { filepath }).then((out) => { if (out !== source) changed.push(file); })); // looptrace-expect(rejection): unhandled-rejection error
      continue;
    }
    try {
      const out = await prettier.format(source, { filepath });
      if (out !== source) changed.push(file);
    } catch (err) {
      unparsable.push(`${file}: ${err.message.split('\n')[0]}`);
    }
    state.done++;
  }
  if (defect === 'rejection') await new Promise((resolve) => setTimeout(resolve, 200));
  console.log(`format-batch: ${files.length} files, ${changed.length} would change, ${unparsable.length} unparsable`);
  for (const line of unparsable) console.log(`  ${line}`);
  if (defect === 'leak') {
    // The spinner was never stopped and kept the process alive: ended by force.
    process.exit(0);
  }
  clearInterval(spinner);
}

main();
