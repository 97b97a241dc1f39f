'use strict';
// The command line as a user meets it: `looptrace --help` lists the commands,
// each command's --help describes every option, the generated man pages
// render with man(1) and `cmake --install` puts them in share/man/man1, and
// output files are written safely (never over the trace being read, never
// through a symbolic link, never left half-written).
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { LOOPTRACE, looptrace, record, run, tmpdir } = require('./lib');

const BUILD_DIR = path.dirname(LOOPTRACE);
const MAN_DIR = path.join(BUILD_DIR, 'man');

function commands() {
  const r = looptrace(['--help']);
  assert.strictEqual(r.status, 0, r.stderr);
  const names = [...r.stdout.matchAll(/^ {2}([a-z]+) +\S/gm)].map((m) => m[1]);
  assert.ok(names.length >= 7, r.stdout);
  return names;
}

// The long options a --help lists ("  -o, --output FILE", "      --all").
function helpOptions(help) {
  return [...help.matchAll(/^ {2}(?:-\w, |    )--([a-z][a-z-]*)/gm)].map((m) => m[1]);
}

// Render a man page to text: man -l where there is man, else groff.
function renderMan(file) {
  const haveMan = spawnSync('sh', ['-c', 'command -v man'], { encoding: 'utf8' }).status === 0;
  const r = haveMan
    ? run('man', ['-l', file], { env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80', LANG: 'C.UTF-8' } })
    : run('groff', ['-man', '-Tutf8', file]);
  assert.strictEqual(r.status, 0, r.stderr);
  // drop overstrike bold/underline and fold the hyphens groff may print
  return r.stdout.replace(/.\x08/g, '').replace(/\u2010/g, '-').replace(/\u2212/g, '-');
}

test('every command has --help with every option, each with its sentence', () => {
  for (const name of commands()) {
    const r = looptrace([name, '--help']);
    assert.strictEqual(r.status, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: looptrace ${name}\\b`));
    const opts = helpOptions(r.stdout);
    assert.ok(opts.includes('help'), `${name} --help lists -h, --help`);
    // every option line carries a sentence
    for (const line of r.stdout.split('\n').filter((l) => /^ {2}(-\w, | {4})--/.test(l))) {
      const rest = line.replace(/^ {2}(-\w, | {4})--\S+( \S+)?/, '').trim();
      const next = r.stdout.split('\n')[r.stdout.split('\n').indexOf(line) + 1] || '';
      assert.ok(rest.length > 0 || /^ {31}\S/.test(next), `${name}: no sentence for ${line}`);
    }
    // -h means the same
    assert.strictEqual(looptrace([name, '-h']).stdout, r.stdout);
  }
});

test('man pages exist for every command and render with the options of --help', () => {
  const names = commands();
  const top = renderMan(path.join(MAN_DIR, 'looptrace.1'));
  assert.match(top, /^NAME\s+looptrace\s+-\s+record\s+and\s+explain/m);
  for (const name of names) {
    assert.match(top, new RegExp(`looptrace-${name}\\(1\\)`), `looptrace(1) lists ${name}`);
    const file = path.join(MAN_DIR, `looptrace-${name}.1`);
    assert.ok(fs.existsSync(file), `${file} was generated`);
    const page = renderMan(file);
    assert.match(page, new RegExp(`^NAME\\s+looptrace-${name}\\s+-\\s+\\S`, 'm'));
    assert.match(page, /^SYNOPSIS\s+looptrace /m);
    assert.match(page, /^OPTIONS$/m);
    assert.match(page, /^EXIT STATUS$/m);
    for (const opt of helpOptions(looptrace([name, '--help']).stdout))
      assert.match(page, new RegExp(`^ {7}(-\\w, )?--${opt}\\b`, 'm'), `looptrace-${name}(1) describes --${opt}`);
    // the same page as the binary writes now
    assert.strictEqual(fs.readFileSync(file, 'utf8'), looptrace(['--man', name]).stdout);
  }
  const bad = looptrace(['--man', 'frobnicate']);
  assert.strictEqual(bad.status, 2);
  assert.match(bad.stderr, /^looptrace: --man takes/);
});

test('cmake --install puts the man pages in share/man/man1', (t) => {
  if (!fs.existsSync(path.join(BUILD_DIR, 'cmake_install.cmake'))) return t.skip('not a CMake build directory');
  const prefix = tmpdir();
  const r = run('cmake', ['--install', BUILD_DIR, '--prefix', prefix]);
  assert.strictEqual(r.status, 0, r.stderr);
  for (const name of ['looptrace', ...commands().map((c) => `looptrace-${c}`)])
    assert.ok(fs.existsSync(path.join(prefix, 'share/man/man1', `${name}.1`)), `${name}.1 installed`);
  assert.ok(fs.existsSync(path.join(prefix, 'bin/looptrace')));
});

test('output files: never over the trace, never through a link, never half-written', () => {
  const r = record(['node', '-e', 'setTimeout(() => console.log("done"), 5)']);
  assert.strictEqual(r.status, 0, r.stderr);
  const before = fs.readFileSync(r.db);
  const dir = path.dirname(r.db);

  // the trace being read, by its name or through a hard link
  const hard = path.join(dir, 'hard.db');
  fs.linkSync(r.db, hard);
  for (const [cmd, out] of [['report', r.db], ['graph', r.db], ['export', hard]]) {
    const b = looptrace([cmd, '-o', out, r.db]);
    assert.strictEqual(b.status, 2, `${cmd} -o ${out}`);
    assert.match(b.stderr, new RegExp(`^looptrace: ${cmd}: refusing to write .*the trace being read\\n$`));
  }
  assert.ok(before.equals(fs.readFileSync(r.db)), 'the trace is untouched');

  // a symbolic link, even a dangling one, is not followed
  const victim = path.join(dir, 'victim.txt');
  fs.writeFileSync(victim, 'keep me');
  const link = path.join(dir, 'report.json');
  fs.symlinkSync(victim, link);
  const dangling = path.join(dir, 'graph.svg');
  fs.symlinkSync(path.join(dir, 'nowhere.svg'), dangling);
  for (const [args, out] of [[['report', '--format', 'json'], link], [['graph'], dangling]]) {
    const b = looptrace([...args, '-o', out, r.db]);
    assert.strictEqual(b.status, 2, args.join(' '));
    assert.match(b.stderr, /^looptrace: \w+: refusing to write .*symbolic link\n$/);
  }
  assert.strictEqual(fs.readFileSync(victim, 'utf8'), 'keep me');
  assert.ok(!fs.existsSync(path.join(dir, 'nowhere.svg')));

  // a missing directory: one line, status 2
  const missing = looptrace(['export', '-o', path.join(dir, 'no/such/dir/t.json'), r.db]);
  assert.strictEqual(missing.status, 2);
  assert.match(missing.stderr, /^looptrace: export: cannot write .*No such file or directory\n$/);

  // success: the file appears whole, private (0600), and nothing is left beside it
  const out = path.join(dir, 'out.json');
  const ok = looptrace(['report', '--format', 'json', '-o', out, r.db]);
  assert.strictEqual(ok.status, 0, ok.stderr);
  assert.ok(JSON.parse(fs.readFileSync(out, 'utf8')).findings);
  assert.strictEqual(fs.statSync(out).mode & 0o777, 0o600);
  assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f.startsWith('.')), []);
});
