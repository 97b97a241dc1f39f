'use strict';
// `looptrace report --format sarif` and `--fail-on` on real recorded traces.
// The SARIF log is checked by two real validators: ajv on the SARIF 2.1.0
// JSON schema that Microsoft's SARIF multitool ships, and the multitool's
// own `validate` command (schema plus its rules); both are pinned in
// tests/sarif/package-lock.json and installed by scripts/setup.sh.
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { SOURCE_DIR, looptrace, record, run, tmpdir } = require('./lib');

const VALIDATORS = path.join(SOURCE_DIR, 'tests/sarif/node_modules');
const MULTITOOL_DIR = path.join(VALIDATORS, '@microsoft/sarif-multitool-linux');
const SCHEMA = path.join(MULTITOOL_DIR, 'sarif-2.1.0.json');
const DEFECTS = path.join(SOURCE_DIR, 'examples/defects');
const missing = fs.existsSync(SCHEMA) ? false : `the SARIF validators are not installed (${SCHEMA}): run scripts/setup.sh`;

let validateSchema;
function schemaErrors(log) {
  if (!validateSchema) {
    const Ajv2020 = require(path.join(VALIDATORS, 'ajv/dist/2020'));
    const addFormats = require(path.join(VALIDATORS, 'ajv-formats'));
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    validateSchema = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, 'utf8')));
  }
  return validateSchema(log) ? [] : validateSchema.errors.map((e) => `${e.instancePath} ${e.message}`);
}

// The multitool prints one line per problem: "file(line,col): error CODE: ...".
function multitoolErrors(file) {
  const tool = path.join(MULTITOOL_DIR, 'Sarif.Multitool');
  fs.chmodSync(tool, 0o755); // npm 11 does not run its postinstall chmod
  const r = run(tool, ['validate', file], { env: { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: '1' } });
  assert.match(r.stdout, /Analysis completed successfully/, `multitool: ${r.stdout}\n${r.stderr}`);
  return r.stdout.split('\n').filter((l) => /: error [A-Z]+\d+:/.test(l));
}

function sarif(db, args = []) {
  const out = path.join(tmpdir(), 'report.sarif');
  const r = looptrace(['report', '--format', 'sarif', '-o', out, ...args, db]);
  assert.strictEqual(r.status, 0, r.stderr);
  return { file: out, log: JSON.parse(fs.readFileSync(out, 'utf8')) };
}

function recordDefect(program, expectStatus) {
  const r = record(['node', program], { cwd: DEFECTS });
  assert.strictEqual(r.status, expectStatus, r.stderr);
  return r.db;
}

test('a blocking task: valid SARIF, the finding at its line relative to the source root', { skip: missing }, () => {
  const db = recordDefect('blocking-task/02-json-parse-in-readfile-callback.js', 0);
  const { file, log } = sarif(db, ['--source-root', DEFECTS]);
  assert.deepStrictEqual(schemaErrors(log), []);
  assert.deepStrictEqual(multitoolErrors(file), []);
  assert.strictEqual(log.version, '2.1.0');
  const runLog = log.runs[0];
  assert.strictEqual(runLog.tool.driver.name, 'looptrace');
  assert.strictEqual(runLog.originalUriBaseIds.SRCROOT.uri, `file://${fs.realpathSync(DEFECTS)}/`);
  const blocking = runLog.results.filter((x) => x.ruleId === 'blocking-task' && x.level !== 'note');
  assert.strictEqual(blocking.length, 1, JSON.stringify(runLog.results, null, 1));
  const [b] = blocking;
  assert.strictEqual(runLog.tool.driver.rules[b.ruleIndex].id, 'blocking-task');
  const loc = b.locations[0].physicalLocation;
  assert.deepStrictEqual(loc.artifactLocation, {
    uri: 'blocking-task/02-json-parse-in-readfile-callback.js',
    uriBaseId: 'SRCROOT',
  });
  assert.ok(loc.region.startLine >= 23 && loc.region.startLine <= 27, `line ${loc.region.startLine}`);
  assert.match(b.message.text, /blocked the event loop/);
  assert.match(b.message.text, /\n\nFix: /);
  assert.ok(b.properties.duration_ms >= 50);
  assert.match(b.partialFingerprints['looptraceSite/v1'], /^[0-9a-f]{16}$/);
});

test('an unhandled rejection is an error result; --fail-on gates on severity', { skip: missing }, () => {
  const db = recordDefect('unhandled-rejection/02-promise-reject-in-timer.js', 1);
  const { file, log } = sarif(db, ['--source-root', DEFECTS]);
  assert.deepStrictEqual(schemaErrors(log), []);
  assert.deepStrictEqual(multitoolErrors(file), []);
  const rej = log.runs[0].results.find((x) => x.ruleId === 'unhandled-rejection');
  assert.ok(rej, JSON.stringify(log.runs[0].results));
  assert.strictEqual(rej.level, 'error');
  assert.strictEqual(rej.locations[0].physicalLocation.region.startLine, 21);
  assert.strictEqual(looptrace(['report', '--fail-on', 'error', db]).status, 1);
  assert.strictEqual(looptrace(['report', '--fail-on', 'warning', db]).status, 1);
  // the filters come first: nothing left, nothing to fail on
  assert.strictEqual(looptrace(['report', '--fail-on', 'warning', '--only', 'leaked-handle', db]).status, 0);
  const bad = looptrace(['report', '--fail-on', 'info', db]);
  assert.strictEqual(bad.status, 2);
  assert.match(bad.stderr, /^looptrace: .*fail-on/m);
});

test('a clean program passes the gate', () => {
  const db = recordDefect('negative/promise-all-reads.js', 0);
  const r = looptrace(['report', '--fail-on', 'warning', db]);
  assert.strictEqual(r.status, 0, r.stdout + r.stderr);
});

test('paths are percent-encoded URIs; outside the source root they stay absolute', { skip: missing }, () => {
  const dir = path.join(tmpdir(), 'my app %41 ü');
  fs.mkdirSync(dir);
  fs.copyFileSync(path.join(DEFECTS, 'unhandled-rejection/02-promise-reject-in-timer.js'), path.join(dir, 'prog "q".js'));
  const r = record(['node', 'prog "q".js'], { cwd: dir });
  assert.strictEqual(r.status, 1, r.stderr);
  const inside = sarif(r.db, ['--source-root', path.dirname(dir)]);
  assert.deepStrictEqual(schemaErrors(inside.log), []);
  assert.deepStrictEqual(multitoolErrors(inside.file), []);
  const at = (log) => log.runs[0].results.find((x) => x.ruleId === 'unhandled-rejection').locations[0].physicalLocation;
  assert.deepStrictEqual(at(inside.log).artifactLocation, {
    uri: 'my%20app%20%2541%20%C3%BC/prog%20%22q%22.js',
    uriBaseId: 'SRCROOT',
  });
  const outside = sarif(r.db, ['--source-root', DEFECTS]);
  assert.deepStrictEqual(schemaErrors(outside.log), []);
  const abs = at(outside.log).artifactLocation;
  assert.strictEqual(abs.uriBaseId, undefined);
  assert.strictEqual(decodeURIComponent(new URL(abs.uri).pathname), path.join(fs.realpathSync(dir), 'prog "q".js'));
  const missingRoot = looptrace(['report', '--format', 'sarif', '--source-root', path.join(dir, 'nope'), r.db]);
  assert.strictEqual(missingRoot.status, 2);
  assert.match(missingRoot.stderr, /^looptrace: --source-root/m);
});
