'use strict'
// The package's entry point (package.json `main`). The napi-generated `index.js` loads the native
// addon built for this platform (`trainyard.<platform>.node` in this folder, or a
// `trainyard-<platform>` package). When none fits, its error says little; this one names the
// platform, the binaries this package has and what to do.
const { readdirSync } = require('fs')

function platformName() {
  let libc = ''
  if (process.platform === 'linux') {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    libc = report?.header?.glibcVersionRuntime ? '-gnu' : '-musl'
  }
  return `${process.platform}-${process.arch}${libc}`
}

/** The messages of an error's `cause` chain (napi chains one load error per place it looked). */
function causes(err) {
  const out = []
  for (let e = err; e && out.length < 20; e = e.cause) out.push(String(e.message ?? e))
  return out
}

/** What went wrong with a binary that is there: the errors other than "not found", first line each, in the order napi tried. */
function whyNotLoaded(cause) {
  const tried = causes(cause).slice(1).reverse()
  const real = tried.filter((m) => !m.startsWith('Cannot find module'))
  return (real.length > 0 ? real : tried).map((m) => m.split('\n')[0]).join('; ')
}

function noBinding(cause) {
  const platform = platformName()
  let shipped = []
  try {
    shipped = readdirSync(__dirname).filter((f) => f.startsWith('trainyard.') && f.endsWith('.node'))
  } catch {
    // an unreadable package folder: say that none was found
  }
  const build =
    'build it here from a clone of the repository: `cd bindings-node && npm ci && npm run build && npm pack` ' +
    '(needs Rust >= 1.89, a C compiler and Node >= 20.17), then `npm install ./trainyard-<version>.tgz`.'
  const mine = `trainyard.${platform}.node`
  let error
  if (shipped.includes(mine)) {
    error = new Error(
      `trainyard's native binary for this platform (${mine}, Node ${process.version}) is there but did not load: ` +
        `${whyNotLoaded(cause)}. Reinstall the package, or ${build}`,
    )
    error.code = 'ERR_TRAINYARD_BINARY_LOAD'
  } else {
    error = new Error(
      `trainyard has no native binary for this platform (${platform}, Node ${process.version}). ` +
        `This package contains: ${shipped.length > 0 ? shipped.join(', ') : 'no binary at all'}. ` +
        `Install the package built for this platform, or ${build}`,
    )
    error.code = 'ERR_TRAINYARD_NO_BINARY'
  }
  error.cause = cause
  return error
}

try {
  module.exports = require('./index.js')
} catch (err) {
  if (err && typeof err.message === 'string' && err.message.startsWith('Cannot find native binding')) {
    throw noBinding(err)
  }
  throw err
}
