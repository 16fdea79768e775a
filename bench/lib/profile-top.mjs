#!/usr/bin/env node
// Summarises a V8 .cpuprofile: self time by function and by package/file (node bench/lib/profile-top.mjs X.cpuprofile).
import { readFileSync } from 'node:fs';

const prof = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const dt = new Map();
for (let i = 0; i < prof.samples.length; i++) dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const byFn = new Map();
const byFile = new Map();
let total = 0;
for (const n of prof.nodes) {
  const t = dt.get(n.id) ?? 0;
  total += t;
  const cf = n.callFrame;
  const file = cf.url.replace(/^file:\/\//, '').replace(/.*node_modules\/((@[^/]+\/)?[^/]+).*/, 'npm:$1').replace(/.*\/(apps|libs)\//, '$1/');
  const fn = `${cf.functionName || '(anonymous)'} ${file}:${cf.lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + t);
  byFile.set(file || cf.functionName, (byFile.get(file || cf.functionName) ?? 0) + t);
}
const top = (m, k) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, t]) => `${((100 * t) / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n-- by file/package --\n${top(byFile, 25)}\n-- by function --\n${top(byFn, 30)}`);
