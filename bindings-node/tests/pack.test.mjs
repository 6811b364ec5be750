// `npm pack` of the built package installs into a fresh folder, and the README's Node examples run
// there against the installed copy (not this checkout).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readmeJsExamples, runExample, tempDir } from './helpers.mjs'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

test('npm pack installs into a fresh folder and the README examples run there', (t) => {
  const out = tempDir('trainyard-pack-')
  const app = tempDir('trainyard-app-')
  t.after(() => {
    rmSync(out, { recursive: true, force: true })
    rmSync(app, { recursive: true, force: true })
  })
  const env = { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }
  execFileSync(npm, ['pack', '--pack-destination', out, '--silent'], { cwd: packageDir, env, stdio: 'pipe' })
  const [tarball] = readdirSync(out).filter((f) => f.endsWith('.tgz'))
  assert.ok(tarball, `npm pack wrote no tarball into ${out}`)

  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'readme-app', private: true }))
  execFileSync(npm, ['install', '--offline', '--no-package-lock', join(out, tarball)], { cwd: app, env, stdio: 'pipe' })
  const installed = join(app, 'node_modules', 'trainyard')
  assert.ok(existsSync(join(installed, 'index.d.ts')), 'index.d.ts is in the package')
  assert.ok(readdirSync(installed).some((f) => f.endsWith('.node')), 'the native addon is in the package')
  assert.notEqual(realpathSync(installed), realpathSync(packageDir), 'a real install, not a link')

  const examples = readmeJsExamples()
  assert.ok(examples.length >= 2)
  for (const [i, code] of examples.entries()) {
    const { status, stdout, stderr } = runExample(app, code, i + 1)
    assert.equal(status, 0, `example ${i + 1}: exit ${status}\nstdout:\n${stdout}\nstderr:\n${stderr}`)
  }
})
