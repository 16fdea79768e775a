// Line charts as hand-written SVG (no browser, no plotting library), converted to PNG by rsvg-convert.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const W = 900;
const H = 520;
const M = { l: 80, r: 220, t: 50, b: 60 };

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

function ticks(lo, hi, log) {
  if (log) {
    const out = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of [1, 2, 5]) {
        const v = m * 10 ** e;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
    }
    return out;
  }
  const span = hi - lo || 1;
  const step = 10 ** Math.floor(Math.log10(span / 5));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((s) => span / s <= 8) ?? step * 10;
  const out = [];
  for (let v = Math.ceil(lo / unit) * unit; v <= hi + 1e-9; v += unit) out.push(Number(v.toPrecision(6)));
  return out;
}

const label = (v) => (v >= 1e6 ? `${v / 1e6}M` : v >= 1000 ? `${v / 1000}k` : `${v}`);

/**
 * series: [{name, color, dash?, points: [[x, y], ...]}]; hlines: [{y, label, color}].
 * Axes are log when asked (zero or negative values are then dropped).
 */
export function lineChart({ title, xLabel, yLabel, xLog = false, yLog = false, series, hlines = [], diagonal = false }) {
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0) && (!yLog || y > 0));
  const ys = [...pts.map((p) => p[1]), ...hlines.map((h) => h.y)];
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (!yLog) y0 = Math.min(0, y0);
  if (xLog) [x0, x1] = [10 ** Math.floor(Math.log10(x0)), 10 ** Math.ceil(Math.log10(x1))];
  if (yLog) [y0, y1] = [10 ** Math.floor(Math.log10(y0)), 10 ** Math.ceil(Math.log10(y1))];
  else y1 = y1 * 1.08;
  if (x0 === x1) x1 = x0 + 1;
  const pw = W - M.l - M.r;
  const ph = H - M.t - M.b;
  const sx = (x) => M.l + (xLog ? (Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (x - x0) / (x1 - x0)) * pw;
  const sy = (y) => M.t + ph - (yLog ? (Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (y - y0) / (y1 - y0)) * ph;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${M.l}" y="28" font-size="16" font-weight="bold">${esc(title)}</text>`);
  for (const v of ticks(x0, x1, xLog)) {
    out.push(`<line x1="${sx(v)}" y1="${M.t}" x2="${sx(v)}" y2="${M.t + ph}" stroke="#eee"/>`);
    out.push(`<text x="${sx(v)}" y="${M.t + ph + 18}" text-anchor="middle">${label(v)}</text>`);
  }
  for (const v of ticks(y0, y1, yLog)) {
    out.push(`<line x1="${M.l}" y1="${sy(v)}" x2="${M.l + pw}" y2="${sy(v)}" stroke="#eee"/>`);
    out.push(`<text x="${M.l - 8}" y="${sy(v) + 4}" text-anchor="end">${label(v)}</text>`);
  }
  out.push(`<rect x="${M.l}" y="${M.t}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  out.push(`<text x="${M.l + pw / 2}" y="${H - 15}" text-anchor="middle">${esc(xLabel)}</text>`);
  out.push(`<text x="18" y="${M.t + ph / 2}" text-anchor="middle" transform="rotate(-90 18 ${M.t + ph / 2})">${esc(yLabel)}</text>`);
  if (diagonal) {
    const a = Math.max(x0, y0);
    const b = Math.min(x1, y1);
    out.push(`<line x1="${sx(a)}" y1="${sy(a)}" x2="${sx(b)}" y2="${sy(b)}" stroke="#bbb" stroke-dasharray="4 4"/>`);
  }
  for (const h of hlines) {
    out.push(`<line x1="${M.l}" y1="${sy(h.y)}" x2="${M.l + pw}" y2="${sy(h.y)}" stroke="${h.color ?? '#c00'}" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${M.l + pw - 4}" y="${sy(h.y) - 5}" text-anchor="end" fill="${h.color ?? '#c00'}">${esc(h.label)}</text>`);
  }
  series.forEach((s, i) => {
    const p = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!xLog || x > 0) && (!yLog || y > 0)).sort((a, b) => a[0] - b[0]);
    if (p.length) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2.2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''} points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of p) out.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    const ly = M.t + 10 + i * 22;
    out.push(`<line x1="${W - M.r + 15}" y1="${ly}" x2="${W - M.r + 45}" y2="${ly}" stroke="${s.color}" stroke-width="2.2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${W - M.r + 52}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

/** Writes name.svg and name.png (rsvg-convert); returns false when the PNG could not be made. */
export function writeChart(pathNoExt, svg) {
  writeFileSync(`${pathNoExt}.svg`, svg);
  const r = spawnSync('rsvg-convert', ['-f', 'png', '-o', `${pathNoExt}.png`, `${pathNoExt}.svg`]);
  return r.status === 0;
}
