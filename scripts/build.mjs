#!/usr/bin/env node
// `npm run build`: api, simulator and dashboard (`--force` rebuilds even when up to date).
import { build, TARGETS } from './lib/build.mjs';

const force = process.argv.includes('--force');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
for (const name of only.length ? only : Object.keys(TARGETS)) build(name, { force });
