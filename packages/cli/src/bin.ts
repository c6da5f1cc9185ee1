#!/usr/bin/env -S node --max-semi-space-size=4 --no-concurrent-recompilation
/** Entry point of the `sandbox` command. */
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
