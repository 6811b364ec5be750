// The package as a user installs it: `npm pack` of the built package, installed into a fresh folder
// with `npm install ./trainyard-<version>.tgz` (offline: nothing but the tarball is needed). There
// it is required from CommonJS and imported from ESM, the README's Node examples run against the
// installed copy (not this checkout), the `trainyard` bin runs, and `tsc` checks a typed program against its index.d.ts. A
// copy without the native binary fails with an error naming the platform and what to do.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readmeJsExamples, runExample, tempDir } from './helpers.mjs'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
const tsc = join(packageDir, 'node_modules', 'typescript', 'bin', 'tsc')
const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8'))

const out = tempDir('trainyard-pack-')
const app = tempDir('trainyard-app-')
test.after(() => {
  rmSync(out, { recursive: true, force: true })
  rmSync(app, { recursive: true, force: true })
})

/** Runs `node file` in `dir`; fails with its output unless it exits 0. Returns stdout. */
function node(dir, file) {
  const r = spawnSync(process.execPath, [file], { cwd: dir, encoding: 'utf8', timeout: 60_000 })
  assert.equal(r.status, 0, `${file}: exit ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
  return r.stdout
}

let installed
test('npm pack makes a tarball with the binary, the loader and the types; it installs offline', () => {
  execFileSync(npm, ['pack', '--pack-destination', out, '--silent'], { cwd: packageDir, env, stdio: 'pipe' })
  const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'))
  assert.deepEqual(tarballs, [`trainyard-${manifest.version}.tgz`], `npm pack wrote ${tarballs} into ${out}`)

  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'readme-app', private: true }))
  cpSync(join(out, tarballs[0]), join(app, tarballs[0]))
  execFileSync(npm, ['install', '--offline', '--no-package-lock', `./${tarballs[0]}`], {
    cwd: app,
    env,
    stdio: 'pipe',
  })
  installed = join(app, 'node_modules', 'trainyard')
  const files = readdirSync(installed).sort()
  for (const f of ['load.js', 'index.js', 'index.d.ts', 'package.json', 'bin']) assert.ok(files.includes(f), `${f} in ${files}`)
  assert.ok(files.some((f) => /^trainyard\..+\.node$/.test(f)), `a native binary in ${files}`)
  assert.ok(!files.includes('src') && !files.includes('tests') && !files.includes('Cargo.toml'), `only the package: ${files}`)
  assert.notEqual(realpathSync(installed), realpathSync(packageDir), 'a real install, not a link')
  const installedManifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'))
  assert.equal(installedManifest.main, 'load.js')
  assert.equal(installedManifest.engines.node, '>= 20')
  assert.deepEqual(installedManifest.bin, { trainyard: 'bin/trainyard.js' })
})

test('the installed package loads from CommonJS and from ESM', () => {
  writeFileSync(
    join(app, 'use.cjs'),
    `const trainyard = require('trainyard')
const path = require.resolve('trainyard')
if (!path.startsWith(${JSON.stringify(realpathSync(app))}) && !path.startsWith(${JSON.stringify(app)})) throw new Error(path)
console.log(typeof trainyard.loadProcess, typeof trainyard.Engine, trainyard.errorCodes().includes('unsupported_version'))
`,
  )
  assert.equal(node(app, 'use.cjs'), 'function function true\n')
  writeFileSync(
    join(app, 'use.mjs'),
    `import trainyard, { loadProcess, Engine } from 'trainyard'
console.log(typeof loadProcess, typeof Engine, trainyard.loadProcess === loadProcess)
`,
  )
  assert.equal(node(app, 'use.mjs'), 'function function true\n')
})

test('the README examples run against the installed package', () => {
  const examples = readmeJsExamples()
  assert.ok(examples.length >= 2)
  for (const [i, code] of examples.entries()) {
    const { status, stdout, stderr } = runExample(app, code, i + 1)
    assert.equal(status, 0, `example ${i + 1}: exit ${status}\nstdout:\n${stdout}\nstderr:\n${stderr}`)
  }
})

test('the installed package has the trainyard bin: --help, validate with exit 0 and 1', () => {
  const bin = join(app, 'node_modules', '.bin', process.platform === 'win32' ? 'trainyard.cmd' : 'trainyard')
  assert.ok(existsSync(bin), `npm linked ${bin}`)
  const help = spawnSync(bin, ['--help'], { cwd: app, encoding: 'utf8', timeout: 60_000 })
  assert.equal(help.status, 0, help.stderr)
  assert.ok(help.stdout.includes('Usage: trainyard') && help.stdout.includes('  validate '), help.stdout)
  writeFileSync(join(app, 'good.yaml'), 'id: hello\nphases:\n  - id: build\n    activities: [{ id: compile, kind: manual }]\n')
  writeFileSync(
    join(app, 'bad.yaml'),
    'id: hello\nphases:\n  - id: build\n    activities:\n      - { id: compile, kind: manual, depends_on: [nope] }\n',
  )
  const good = spawnSync(bin, ['validate', 'good.yaml'], { cwd: app, encoding: 'utf8', timeout: 60_000 })
  assert.equal(good.status, 0, good.stdout + good.stderr)
  const bad = spawnSync(bin, ['validate', '--format', 'json', 'bad.yaml'], { cwd: app, encoding: 'utf8', timeout: 60_000 })
  assert.equal(bad.status, 1, bad.stdout + bad.stderr)
  const errors = JSON.parse(bad.stdout).problems.filter((p) => p.severity === 'error')
  assert.deepEqual(errors.map((p) => [p.file, p.line, p.code]), [['bad.yaml', 5, 'unknown_dependency']])
})

test('tsc checks a typed program against the installed index.d.ts', () => {
  const example = readFileSync(join(packageDir, 'tests', 'types', 'example.ts'), 'utf8')
  const typed = example.replaceAll("from '../../index'", "from 'trainyard'")
  assert.notEqual(typed, example, 'the typed example imports the package')
  writeFileSync(join(app, 'example.ts'), typed)
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        noUncheckedIndexedAccess: true,
        target: 'ES2022',
        module: 'commonjs',
        moduleResolution: 'node10',
        types: [],
        skipLibCheck: false,
      },
      files: ['example.ts'],
    }),
  )
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' })
  assert.equal(r.status, 0, `tsc: exit ${r.status}\n${r.stdout}\n${r.stderr}`)
  // And it does check: a wrong use is refused.
  writeFileSync(join(app, 'example.ts'), `${typed}\nconst wrong: number = loadProcess('id: x')\nexport {}\n`)
  const bad = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app, encoding: 'utf8' })
  assert.notEqual(bad.status, 0, 'tsc refused nothing')
})

test('without a binary for the platform the loader says which platform and what to do', () => {
  const broken = join(app, 'broken')
  const copy = join(broken, 'node_modules', 'trainyard')
  mkdirSync(dirname(copy), { recursive: true })
  cpSync(installed, copy, { recursive: true })
  for (const f of readdirSync(copy)) if (f.endsWith('.node')) rmSync(join(copy, f))
  writeFileSync(
    join(broken, 'try.cjs'),
    `try { require('trainyard'); console.log('loaded') } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message, cause: String(e.cause && e.cause.message) })) }\n`,
  )
  const { code, message, cause } = JSON.parse(node(broken, 'try.cjs'))
  assert.equal(code, 'ERR_TRAINYARD_NO_BINARY')
  const libc = process.platform === 'linux' ? (process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl') : ''
  assert.ok(message.includes(`(${process.platform}-${process.arch}${libc}, Node ${process.version})`), message)
  assert.ok(message.includes('no binary at all'), message)
  assert.ok(message.includes('npm run build'), message)
  assert.match(cause, /^Cannot find native binding/)
  // A binary that is there but broken is not reported as missing: what failed comes through.
  const mine = readdirSync(installed).find((f) => f.endsWith('.node'))
  writeFileSync(join(copy, mine), 'not a shared object')
  const again = JSON.parse(node(broken, 'try.cjs'))
  assert.equal(again.code, 'ERR_TRAINYARD_BINARY_LOAD', again.message)
  assert.ok(again.message.includes(`(${mine}, Node ${process.version}) is there but did not load: `), again.message)
  assert.match(again.message, /invalid ELF header|file too short|not a valid|slice is not valid mach-o/i)
})
