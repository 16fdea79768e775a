import { describe, expect, it } from '@jest/globals';
import { parseTelemetry } from '@lm/protocol';
import { DEFAULT_EXCURSION_RATES, LineModel, lineProfile, mulberry32, type Emission, type FaultKind, type SimReading } from './line-model';

const T0 = Date.UTC(2025, 0, 1, 6, 0, 0);
const LINES = ['1', '2', '3', '4', '5', '6', '7', '8'];

/** Runs a model for `seconds` at `hz`, handing every emission to `each` with its time. */
function run(model: LineModel, seconds: number, hz: number, each: (e: Emission, ms: number) => void, start = T0): number {
  const steps = Math.round(seconds * hz);
  let ms = start;
  for (let i = 0; i <= steps; i++) {
    ms = start + Math.round((i * 1000) / hz);
    each(model.tick(ms), ms);
  }
  return ms;
}

/** Only the readings of a run (fails the test on anything else). */
function readings(model: LineModel, seconds: number, hz: number, start = T0): SimReading[] {
  const out: SimReading[] = [];
  run(model, seconds, hz, (e) => {
    if (e.kind !== 'telemetry') throw new Error(`expected telemetry, got ${e.kind}`);
    out.push(e.payload);
  }, start);
  return out;
}

const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const decimals = (v: number, d: number): boolean => Math.abs(Math.round(v * 10 ** d) / 10 ** d - v) < 1e-9;

/** Counts episodes where `value` rises above `high`, each ending when it falls below `low` (hysteresis). */
function episodes(values: number[], high: number, low: number): number {
  let inside = false;
  let count = 0;
  for (const v of values) {
    if (!inside && v > high) [inside, count] = [true, count + 1];
    else if (inside && v < low) inside = false;
  }
  return count;
}

describe('mulberry32', () => {
  it('is deterministic per seed and uniform enough', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 10_000 }, () => a());
    expect(xs.slice(0, 5)).toEqual(Array.from({ length: 5 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mean(xs)).toBeCloseTo(0.5, 1);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });
});

describe('line profiles', () => {
  it('gives each of the 8 lines its pipe size and 4 to 6 zones rising from ~180 to ~230 °C', () => {
    const diameters = LINES.map((id) => lineProfile(id).diameter);
    expect(diameters).toEqual([20, 25, 32, 40, 50, 63, 75, 90]);
    for (const id of LINES) {
      const sp = lineProfile(id).zoneSetPoints;
      expect(sp.length).toBeGreaterThanOrEqual(4);
      expect(sp.length).toBeLessThanOrEqual(6);
      expect(sp[0]).toBeGreaterThanOrEqual(170);
      expect(sp[0]).toBeLessThanOrEqual(190);
      expect(sp.at(-1)).toBeGreaterThanOrEqual(220);
      expect(sp.at(-1)).toBeLessThanOrEqual(240);
      for (let i = 1; i < sp.length; i++) expect(sp[i]).toBeGreaterThan(sp[i - 1]);
    }
    expect(new Set(LINES.map((id) => lineProfile(id).zoneSetPoints.length)).size).toBeGreaterThan(1);
    expect(lineProfile('9')).toEqual(lineProfile('1'));
  });
});

describe('LineModel', () => {
  it('is deterministic for a seed and differs between seeds and lines', () => {
    const a = readings(new LineModel({ lineId: '3', seed: 7 }), 60, 10);
    const b = readings(new LineModel({ lineId: '3', seed: 7 }), 60, 10);
    const c = readings(new LineModel({ lineId: '3', seed: 8 }), 60, 10);
    const d = readings(new LineModel({ lineId: '4', seed: 7 }), 60, 10);
    expect(a).toEqual(b);
    expect(c.map((r) => r.diameter)).not.toEqual(a.map((r) => r.diameter));
    expect(d[10].body_temperatures).not.toEqual(a[10].body_temperatures);
  });

  it('emits payloads that the protocol validator accepts, complete and sensibly rounded', () => {
    const faults: (FaultKind | undefined)[] = [undefined, 'heater', 'pressure', 'diameter', 'stop'];
    const problems: string[] = [];
    let checked = 0;
    for (const id of LINES) {
      for (const fault of faults) {
        // Frequent excursions, so their values are validated too.
        const model = new LineModel({ lineId: id, seed: 1, faults: fault ? [fault] : [], excursionRates: { zone: 120, diameter: 120, pressure: 120 } });
        const zones = model.profile.zoneSetPoints.length;
        let lastId = 0;
        run(model, 900, 2, (e, ms) => {
          const where = `line ${id} ${fault ?? 'no fault'} at ${ms - T0} ms`;
          if (e.kind !== 'telemetry') return void problems.push(`${where}: ${e.kind}`);
          const p = e.payload;
          const parsed = parseTelemetry(JSON.parse(JSON.stringify(p)), ms + 1000);
          if (!parsed.ok) problems.push(`${where}: ${JSON.stringify(parsed.issues)} in ${JSON.stringify(p)}`);
          else if (parsed.readings[0].time.getTime() !== ms) problems.push(`${where}: timestamp ${p.timestamp}`);
          if (p.body_temperatures.length !== zones || !p.body_temperatures.every((t) => decimals(t, 1))) problems.push(`${where}: temps ${p.body_temperatures.join(',')}`);
          if (!decimals(p.diameter, 3) || !decimals(p.melt_pressure, 1) || !decimals(p.line_speed, 2)) problems.push(`${where}: rounding`);
          if (p.msg_id !== lastId + 1) problems.push(`${where}: msg_id ${p.msg_id} after ${lastId}`);
          lastId = p.msg_id;
          checked++;
        });
      }
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(checked).toBe(LINES.length * faults.length * 1801);
  }, 60_000);

  it('keeps zones, diameter and speeds near their set points over a simulated day (no runaway drift)', () => {
    for (const id of ['6']) {
      const model = new LineModel({ lineId: id, seed: 99, excursionRates: { zone: 0, diameter: 0, pressure: 0 } });
      const p = model.profile;
      const rs = readings(model, 24 * 3600, 1);
      p.zoneSetPoints.forEach((sp, z) => {
        const devs = rs.map((r) => r.body_temperatures[z] - sp);
        expect(Math.abs(mean(devs))).toBeLessThan(0.3);
        expect(Math.max(...devs.map(Math.abs))).toBeLessThan(5);
        expect(Math.abs(mean(devs.slice(-3600)))).toBeLessThan(1.5); // the last hour is still centred
        expect(Math.sqrt(mean(devs.map((d) => d * d)))).toBeGreaterThan(0.3); // and it does move
      });
      const dDev = rs.map((r) => r.diameter / p.diameter - 1);
      expect(Math.max(...dDev.map(Math.abs))).toBeLessThan(0.01); // inside a ±1 % tolerance
      expect(Math.abs(mean(rs.map((r) => r.line_speed)) / p.lineSpeed - 1)).toBeLessThan(0.01);
      expect(Math.abs(mean(rs.map((r) => r.melt_pressure)) / p.meltPressure - 1)).toBeLessThan(0.02);
      expect(Math.abs(mean(rs.map((r) => r.screw_speed)) / p.screwSpeed - 1)).toBeLessThan(0.01);
    }
  }, 60_000);

  it('correlates melt pressure with screw speed', () => {
    const rs = readings(new LineModel({ lineId: '2', seed: 5, excursionRates: { zone: 0, diameter: 0, pressure: 0 } }), 4 * 3600, 1);
    const x = rs.map((r) => r.screw_speed);
    const y = rs.map((r) => r.melt_pressure);
    const [mx, my] = [mean(x), mean(y)];
    const cov = mean(x.map((v, i) => (v - mx) * (y[i] - my)));
    const sd = (vs: number[], m: number): number => Math.sqrt(mean(vs.map((v) => (v - m) ** 2)));
    expect(cov / (sd(x, mx) * sd(y, my))).toBeGreaterThan(0.5);
  });

  it('produces excursions at about the configured rate, and they show in the data', () => {
    const hours = 100;
    const model = new LineModel({ lineId: '4', seed: 2024 });
    const p = model.profile;
    // Per second: hottest zone above its set point, |diameter deviation|, pressure relative to nominal.
    const hottest: number[] = [];
    const dDev: number[] = [];
    const pRel: number[] = [];
    run(model, hours * 3600, 1, (e) => {
      if (e.kind !== 'telemetry') throw new Error(e.kind);
      const r = e.payload;
      let hot = -Infinity;
      for (let z = 0; z < r.body_temperatures.length; z++) hot = Math.max(hot, r.body_temperatures[z] - p.zoneSetPoints[z]);
      hottest.push(hot);
      dDev.push(Math.abs(r.diameter / p.diameter - 1));
      pRel.push(r.melt_pressure / p.meltPressure);
    });
    for (const kind of ['zone', 'diameter', 'pressure'] as const) {
      const expected = DEFAULT_EXCURSION_RATES[kind] * hours;
      expect(model.excursionCounts[kind]).toBeGreaterThan(expected * 0.7);
      expect(model.excursionCounts[kind]).toBeLessThan(expected * 1.3);
    }
    // Each counted excursion is visible as one episode in the values (with hysteresis against noise).
    const seen = { zone: episodes(hottest, 10, 5), diameter: episodes(dDev, 0.02, 0.01), pressure: episodes(pRel, 1.2, 1.1) };
    for (const kind of ['zone', 'diameter', 'pressure'] as const) {
      expect(seen[kind]).toBeGreaterThanOrEqual(Math.floor(model.excursionCounts[kind] * 0.9));
      expect(seen[kind]).toBeLessThanOrEqual(model.excursionCounts[kind]);
    }
    // Excursions are transient: a zone overshoot lasts at most a minute.
    let longest = 0;
    let current = 0;
    for (const h of hottest) [current, longest] = h > 5 ? [current + 1, Math.max(longest, current + 1)] : [0, longest];
    expect(longest).toBeLessThanOrEqual(62);
  }, 60_000);

  it('reports running with no faults', () => {
    expect(new LineModel({ lineId: '1', seed: 1 }).state).toBe('running');
  });
});

describe('faults', () => {
  const quiet = { zone: 0, diameter: 0, pressure: 0 };

  it('heater: one zone climbs and sticks ~45 °C high while the others stay put', () => {
    const model = new LineModel({ lineId: '6', seed: 3, faults: ['heater'], excursionRates: quiet });
    const sp = model.profile.zoneSetPoints;
    const z = model.heaterZone;
    const rs = readings(model, 600, 10);
    expect(rs[0].body_temperatures[z]).toBeLessThan(sp[z] + 5); // it climbs, it does not jump
    expect(rs[300].body_temperatures[z]).toBeGreaterThan(sp[z] + 10);
    const late = rs.slice(1200).map((r) => r.body_temperatures[z] - sp[z]);
    expect(Math.min(...late)).toBeGreaterThan(40);
    expect(Math.max(...late)).toBeLessThan(50);
    for (const r of rs) r.body_temperatures.forEach((t, i) => i !== z && expect(Math.abs(t - sp[i])).toBeLessThan(5));
    expect(model.state).toBe('running');
    model.setFault('heater', false);
    const after = readings(model, 10, 1, T0 + 601_000);
    expect(Math.abs(after.at(-1)!.body_temperatures[z] - sp[z])).toBeLessThan(5);
  });

  it('pressure: melt pressure climbs to ~1.8x nominal and stays', () => {
    const model = new LineModel({ lineId: '3', seed: 3, faults: ['pressure'], excursionRates: quiet });
    const nominal = model.profile.meltPressure;
    const rs = readings(model, 300, 10);
    expect(rs[0].melt_pressure).toBeLessThan(nominal * 1.1);
    const late = rs.slice(300).map((r) => r.melt_pressure / nominal);
    expect(Math.min(...late)).toBeGreaterThan(1.65);
    expect(Math.max(...late)).toBeLessThan(1.95);
  });

  it('diameter: drifts out of a ±3 % tolerance and keeps going to about +8 %', () => {
    const model = new LineModel({ lineId: '5', seed: 3, faults: ['diameter'], excursionRates: quiet });
    const target = model.profile.diameter;
    const rs = readings(model, 120, 10);
    const dev = rs.map((r) => r.diameter / target - 1);
    expect(Math.abs(dev[0])).toBeLessThan(0.01);
    expect(dev[300]).toBeGreaterThan(0.03); // 30 s
    expect(Math.min(...dev.slice(700))).toBeGreaterThan(0.07);
    expect(Math.max(...dev)).toBeLessThan(0.09);
    for (let i = 10; i < 500; i += 10) expect(dev[i]).toBeGreaterThan(dev[i - 10] - 0.001); // monotone up to noise
  });

  it('stop: speeds 0 and state stopped; stopping and restarting a running line ramps', () => {
    const stopped = new LineModel({ lineId: '1', seed: 3, faults: ['stop'] });
    expect(stopped.state).toBe('stopped');
    for (const r of readings(stopped, 120, 10)) {
      expect(r.line_speed).toBe(0);
      expect(r.screw_speed).toBe(0);
      expect(r.melt_pressure).toBeLessThan(10);
    }
    const model = new LineModel({ lineId: '1', seed: 3, excursionRates: quiet });
    readings(model, 10, 10);
    model.setFault('stop');
    expect(model.state).toBe('stopped');
    const down = readings(model, 30, 10, T0 + 10_100);
    expect(down[0].line_speed).toBeGreaterThan(model.profile.lineSpeed * 0.9);
    expect(down.at(-1)!.line_speed).toBe(0);
    model.setFault('stop', false);
    expect(model.state).toBe('running');
    const up = readings(model, 30, 10, T0 + 40_200);
    expect(up.at(-1)!.line_speed).toBeGreaterThan(model.profile.lineSpeed * 0.95);
  });

  it('silent: emits nothing, and resumes when cleared', () => {
    const model = new LineModel({ lineId: '2', seed: 3, faults: ['silent'] });
    const kinds = new Set<string>();
    const end = run(model, 60, 10, (e) => kinds.add(e.kind));
    expect([...kinds]).toEqual(['silent']);
    model.setFault('silent', false);
    expect(model.tick(end + 100).kind).toBe('telemetry');
  });

  it('garbage: now and then a payload that fails validation, valid readings otherwise', () => {
    const model = new LineModel({ lineId: '7', seed: 3, faults: ['garbage'] });
    let garbage = 0;
    let valid = 0;
    const shapes = new Set<string>();
    run(model, 3600, 10, (e, ms) => {
      if (e.kind === 'silent') throw new Error('silent');
      let value: unknown;
      try {
        value = JSON.parse(e.kind === 'garbage' ? e.raw : JSON.stringify(e.payload));
      } catch {
        expect(e.kind).toBe('garbage');
        garbage++;
        shapes.add('not json');
        return;
      }
      const parsed = parseTelemetry(value, ms + 1000);
      if (e.kind === 'garbage') {
        expect(parsed.ok).toBe(false);
        if (!parsed.ok) shapes.add(parsed.issues[0].msg);
        garbage++;
      } else {
        expect(parsed.ok).toBe(true);
        valid++;
      }
    });
    expect(garbage).toBeGreaterThan(3600 / 5 / 1.3); // about one every 5 s
    expect(garbage).toBeLessThan(3600 / 5 * 1.3);
    expect(valid).toBeGreaterThan(30_000);
    expect(shapes.size).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
