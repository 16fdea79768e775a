/**
 * Signal model of one extrusion line: barrel zone temperatures, product diameter, line speed, melt
 * pressure and screw speed, with noise, slow drift, rare process excursions and injectable faults.
 * Pure: no I/O, no clock, no Math.random. Given the same seed and tick times it emits the same values.
 */
import type { LineState, TelemetryPayload } from '@lm/protocol';

export const FAULT_KINDS = ['heater', 'pressure', 'diameter', 'stop', 'silent', 'garbage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export const isFaultKind = (v: string): v is FaultKind => (FAULT_KINDS as readonly string[]).includes(v);

export const EXCURSION_KINDS = ['zone', 'diameter', 'pressure'] as const;
export type ExcursionKind = (typeof EXCURSION_KINDS)[number];

/** Excursions per line per hour at default settings, by kind (about 3 per hour in all). */
export const DEFAULT_EXCURSION_RATES: Record<ExcursionKind, number> = { zone: 1.5, diameter: 1, pressure: 0.5 };

/** What one tick produces: a reading, an invalid payload (garbage fault), or nothing (silent fault). */
export type Emission =
  | { kind: 'telemetry'; payload: SimReading }
  | { kind: 'garbage'; raw: string }
  | { kind: 'silent' };

/** A full reading as the simulator publishes it: every field of the wire type present. */
export type SimReading = Required<TelemetryPayload> & { timestamp: string; msg_id: number };

// ---------- PRNG ----------

/** mulberry32: tiny, fast, good enough for signals; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal sample (Box-Muller). */
export function gaussian(rand: () => number): number {
  const u = 1 - rand(); // (0, 1]: log(0) would be -Infinity
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** FNV-1a: turns (seed, line id) into an independent stream seed per line. */
export function hashSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * One exact Ornstein-Uhlenbeck step of a deviation x (mean 0): pulled back with time constant `tau`
 * seconds, stationary standard deviation `sd`. Exact for any dt, so the statistics do not depend on the rate.
 */
export function ouStep(x: number, dt: number, tau: number, sd: number, rand: () => number): number {
  const decay = Math.exp(-dt / tau);
  return x * decay + sd * Math.sqrt(1 - decay * decay) * gaussian(rand);
}

/** 0 -> 1 -> 0 bump over a phase in [0, 1]: smooth rise, plateau, smooth fall. */
export function bump(phase: number): number {
  if (phase <= 0 || phase >= 1) return 0;
  const edge = 0.2;
  const x = phase < edge ? phase / edge : phase > 1 - edge ? (1 - phase) / edge : 1;
  return Math.sin((Math.PI / 2) * x) ** 2;
}

const round = (v: number, digits: number): number => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

// ---------- per-line profiles ----------

export interface LineProfile {
  /** Zone set points in °C, feed zone first. */
  zoneSetPoints: number[];
  /** Target outer diameter, mm. */
  diameter: number;
  lineSpeed: number; // m/min
  screwSpeed: number; // rpm
  meltPressure: number; // bar at nominal screw speed
}

// Pipe sizes from 20 to 90 mm: bigger pipes run slower with a slower screw and a higher die pressure.
const PROFILES: readonly Omit<LineProfile, 'zoneSetPoints'>[] = [
  { diameter: 20, lineSpeed: 28, screwSpeed: 95, meltPressure: 210 },
  { diameter: 25, lineSpeed: 22, screwSpeed: 90, meltPressure: 220 },
  { diameter: 32, lineSpeed: 16, screwSpeed: 85, meltPressure: 235 },
  { diameter: 40, lineSpeed: 11.5, screwSpeed: 80, meltPressure: 250 },
  { diameter: 50, lineSpeed: 8, screwSpeed: 75, meltPressure: 265 },
  { diameter: 63, lineSpeed: 5.5, screwSpeed: 70, meltPressure: 280 },
  { diameter: 75, lineSpeed: 4, screwSpeed: 65, meltPressure: 295 },
  { diameter: 90, lineSpeed: 2.8, screwSpeed: 60, meltPressure: 310 },
];
const ZONE_COUNTS = [4, 4, 5, 5, 5, 6, 6, 6];

/** Profile of a line: lines "1".."8" get the table above; other ids reuse it cyclically (or by hash). */
export function lineProfile(lineId: string): LineProfile {
  const n = /^\d+$/.test(lineId) ? Number(lineId) - 1 : hashSeed(0, lineId);
  const i = ((n % PROFILES.length) + PROFILES.length) % PROFILES.length;
  const zones = ZONE_COUNTS[i];
  const offset = ((i % 3) - 1) * 5; // some lines run a bit hotter or cooler
  // Feed zone ~180 °C rising to ~230 °C at the die, rounded to 5 °C like real recipes.
  const zoneSetPoints = Array.from({ length: zones }, (_, z) => Math.round((180 + (50 * z) / (zones - 1)) / 5) * 5 + offset);
  return { ...PROFILES[i], zoneSetPoints };
}

// ---------- the model ----------

export interface LineModelOptions {
  lineId: string;
  seed: number;
  faults?: Iterable<FaultKind>;
  /** Excursions per hour by kind; defaults to DEFAULT_EXCURSION_RATES. */
  excursionRates?: Partial<Record<ExcursionKind, number>>;
}

interface Excursion {
  start: number; // ms
  duration: number; // ms
  amplitude: number;
  zone: number; // zone excursions only
}

/** Size and shape of faults and excursions, in one place. */
export const MODEL = {
  zoneNoise: { tau: 90, sd: 0.8, meas: 0.15 }, // °C: slow drift and sensor noise
  diameterNoise: { tau: 20, sd: 0.0012, meas: 0.0004 }, // fraction of target
  speedNoise: { tau: 15, sd: 0.003 }, // fraction of nominal
  screwNoise: { tau: 10, sd: 0.008 },
  pressureNoise: { tau: 5, sd: 0.006 },
  zoneExcursion: { amplitude: 15, minS: 20, maxS: 60 }, // °C overshoot
  diameterExcursion: { amplitude: 0.03, minS: 10, maxS: 40 }, // ± fraction of target
  pressureExcursion: { amplitude: 0.35, minS: 3, maxS: 10 }, // + fraction of nominal
  heaterFault: { rise: 0.5, limit: 45 }, // °C/s up to set point + limit, then stuck
  pressureFault: { tau: 2, factor: 1.8 }, // climbs to 1.8x nominal (blocked screen pack)
  diameterFault: { rate: 0.0015, limit: 0.08 }, // +0.15 %/s up to +8 %
  stopRamp: 20, // s from full speed to standstill and back
  residualPressure: 3, // bar left in a stopped barrel
  garbageEveryS: 5, // mean time between invalid payloads
} as const;

export class LineModel {
  readonly lineId: string;
  readonly profile: LineProfile;
  /** Excursions started so far, by kind. */
  readonly excursionCounts: Record<ExcursionKind, number> = { zone: 0, diameter: 0, pressure: 0 };

  private readonly rand: () => number;
  private readonly rates: Record<ExcursionKind, number>;
  private readonly faults = new Set<FaultKind>();
  private readonly zoneDrift: number[];
  private diameterDrift = 0;
  private speedDrift = 0;
  private screwDrift = 0;
  private pressureDrift = 0;
  private run: number; // 1 running, 0 stopped, ramps in between
  private heaterRise = 0; // °C above set point on the faulty zone
  private pressureRise = 0; // fraction above nominal
  private diameterRise = 0; // fraction above target
  private readonly excursions: Partial<Record<ExcursionKind, Excursion>> = {};
  private lastMs: number | null = null;
  private msgId = 0;

  constructor(opts: LineModelOptions) {
    this.lineId = opts.lineId;
    this.profile = lineProfile(opts.lineId);
    this.rand = mulberry32(hashSeed(opts.seed, opts.lineId));
    this.rates = { ...DEFAULT_EXCURSION_RATES, ...opts.excursionRates };
    for (const f of opts.faults ?? []) this.faults.add(f);
    // Start in the stationary distribution so the first minutes look like the rest.
    const z = MODEL.zoneNoise;
    this.zoneDrift = this.profile.zoneSetPoints.map(() => z.sd * gaussian(this.rand));
    this.run = this.faults.has('stop') ? 0 : 1;
  }

  /** The zone a heater fault acts on: a middle zone, where a stuck heater does most harm. */
  get heaterZone(): number {
    return Math.floor(this.profile.zoneSetPoints.length / 2);
  }

  get state(): LineState {
    return this.faults.has('stop') ? 'stopped' : 'running';
  }

  hasFault(kind: FaultKind): boolean {
    return this.faults.has(kind);
  }

  setFault(kind: FaultKind, on = true): void {
    if (on) this.faults.add(kind);
    else this.faults.delete(kind);
  }

  /** Advances the model to `nowMs` (epoch ms, non-decreasing) and says what the device sends. */
  tick(nowMs: number): Emission {
    // Cap dt so a long pause (laptop asleep) does not look like one giant step.
    const dt = this.lastMs === null ? 0 : Math.min(Math.max(0, nowMs - this.lastMs) / 1000, 10);
    this.lastMs = nowMs;
    const reading = this.advance(nowMs, dt);
    if (this.faults.has('silent')) return { kind: 'silent' };
    if (this.faults.has('garbage') && this.rand() < 1 - Math.exp(-dt / MODEL.garbageEveryS)) {
      return { kind: 'garbage', raw: this.garbage(reading) };
    }
    return { kind: 'telemetry', payload: reading };
  }

  private advance(nowMs: number, dt: number): SimReading {
    const p = this.profile;
    const r = this.rand;
    this.startExcursions(nowMs, dt);

    // Process state: drift terms and fault ramps.
    const z = MODEL.zoneNoise;
    for (let i = 0; i < this.zoneDrift.length; i++) this.zoneDrift[i] = ouStep(this.zoneDrift[i], dt, z.tau, z.sd, r);
    this.diameterDrift = ouStep(this.diameterDrift, dt, MODEL.diameterNoise.tau, MODEL.diameterNoise.sd, r);
    this.speedDrift = ouStep(this.speedDrift, dt, MODEL.speedNoise.tau, MODEL.speedNoise.sd, r);
    this.screwDrift = ouStep(this.screwDrift, dt, MODEL.screwNoise.tau, MODEL.screwNoise.sd, r);
    this.pressureDrift = ouStep(this.pressureDrift, dt, MODEL.pressureNoise.tau, MODEL.pressureNoise.sd, r);
    const runTarget = this.faults.has('stop') ? 0 : 1;
    this.run = ramp(this.run, runTarget, dt / MODEL.stopRamp);
    this.heaterRise = this.faults.has('heater') ? Math.min(MODEL.heaterFault.limit, this.heaterRise + MODEL.heaterFault.rise * dt) : 0;
    this.pressureRise = this.faults.has('pressure')
      ? approach(this.pressureRise, MODEL.pressureFault.factor - 1, dt, MODEL.pressureFault.tau)
      : approach(this.pressureRise, 0, dt, MODEL.pressureFault.tau);
    this.diameterRise = this.faults.has('diameter') ? Math.min(MODEL.diameterFault.limit, this.diameterRise + MODEL.diameterFault.rate * dt) : 0;

    // Measurements.
    const zoneBump = this.excursionLevel('zone', nowMs);
    const temps = p.zoneSetPoints.map((sp, i) => {
      let t = sp + this.zoneDrift[i] + z.meas * gaussian(r);
      if (zoneBump && this.excursions.zone?.zone === i) t += zoneBump;
      if (i === this.heaterZone) t += this.heaterRise;
      return round(t, 1);
    });
    const dn = MODEL.diameterNoise;
    const dFrac = this.diameterDrift + dn.meas * gaussian(r) + this.excursionLevel('diameter', nowMs) + this.diameterRise;
    const screw = p.screwSpeed * this.run * (1 + this.screwDrift);
    const speed = p.lineSpeed * this.run * (1 + this.speedDrift);
    // Melt pressure follows screw speed (sub-linear, like a shear-thinning melt) plus its own noise.
    const flow = Math.pow(screw / p.screwSpeed, 0.8);
    const pressure =
      MODEL.residualPressure +
      (p.meltPressure - MODEL.residualPressure) * flow * (1 + this.pressureDrift + this.excursionLevel('pressure', nowMs) + this.pressureRise);

    return {
      timestamp: new Date(nowMs).toISOString(),
      body_temperatures: temps,
      diameter: round(p.diameter * (1 + dFrac), 3),
      line_speed: round(Math.max(0, speed), 2),
      melt_pressure: round(Math.max(0, pressure), 1),
      screw_speed: round(Math.max(0, screw), 1),
      msg_id: ++this.msgId,
    };
  }

  /** Poisson arrivals of excursions; at most one of each kind at a time, none while stopped. */
  private startExcursions(nowMs: number, dt: number): void {
    for (const kind of EXCURSION_KINDS) {
      const current = this.excursions[kind];
      if (current && nowMs >= current.start + current.duration) delete this.excursions[kind];
      if (this.excursions[kind] || this.run < 1 || dt === 0) continue;
      if (this.rand() >= 1 - Math.exp((-this.rates[kind] / 3600) * dt)) continue;
      const shape = kind === 'zone' ? MODEL.zoneExcursion : kind === 'diameter' ? MODEL.diameterExcursion : MODEL.pressureExcursion;
      const sign = kind === 'diameter' && this.rand() < 0.5 ? -1 : 1;
      this.excursions[kind] = {
        start: nowMs,
        duration: (shape.minS + (shape.maxS - shape.minS) * this.rand()) * 1000,
        amplitude: sign * shape.amplitude * (0.8 + 0.4 * this.rand()),
        zone: Math.floor(this.rand() * this.profile.zoneSetPoints.length),
      };
      this.excursionCounts[kind]++;
    }
  }

  private excursionLevel(kind: ExcursionKind, nowMs: number): number {
    const e = this.excursions[kind];
    return e ? e.amplitude * bump((nowMs - e.start) / e.duration) : 0;
  }

  /** An invalid payload of a kind real devices send: broken JSON, wrong types, impossible values. */
  private garbage(reading: SimReading): string {
    const variants: (() => string)[] = [
      () => JSON.stringify(reading).slice(0, 40), // truncated frame
      () => JSON.stringify({ ...reading, diameter: String(reading.diameter) }), // number as string
      () => JSON.stringify({ ...reading, body_temperatures: reading.body_temperatures.map(() => 6553.5) }), // broken sensor
      () => JSON.stringify({ ...reading, line_speed: -reading.line_speed - 1 }), // negative speed
      () => JSON.stringify({ ...reading, timestamp: 'not-a-time' }),
      () => JSON.stringify({ msg_id: reading.msg_id }), // no metric at all
      () => 'ERR 0x1F sensor bus timeout', // not JSON
    ];
    return variants[Math.floor(this.rand() * variants.length)]();
  }
}

/** Moves `x` towards `target` by at most `step`, without overshooting. */
function ramp(x: number, target: number, step: number): number {
  return x < target ? Math.min(target, x + step) : Math.max(target, x - step);
}

/** First-order approach of `x` to `target` with time constant `tau` seconds. */
function approach(x: number, target: number, dt: number, tau: number): number {
  return target + (x - target) * Math.exp(-dt / tau);
}
