/** The alarm feature's notion of now (epoch ms): injectable so tests drive time instead of sleeping. */
export interface AlarmClock {
  now(): number;
}

export const ALARM_CLOCK = Symbol('ALARM_CLOCK');

export const systemClock: AlarmClock = { now: () => Date.now() };
