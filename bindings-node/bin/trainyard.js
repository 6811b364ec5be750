#!/usr/bin/env node
'use strict'
// The `trainyard` command of the npm package (package.json `bin`): the Rust command line
// (`trainyard-cli`) linked into the native addon, so `npm install trainyard` gives the same
// `trainyard` command as `cargo install`. It writes to the process's standard output and error
// itself (so this script never touches process.stdout: Node would make a pipe non-blocking) and
// its exit code is the process's. See the README's "From the command line" section.
const { runCli } = require('../load.js')

process.exitCode = runCli(['trainyard', ...process.argv.slice(2)])
