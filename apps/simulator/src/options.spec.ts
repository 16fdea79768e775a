import { describe, expect, it } from '@jest/globals';
import { OptionsError, parseOptions, wantsHelp } from './options';

const parse = (argv: string[], env: Record<string, string> = {}) => parseOptions(argv, env, () => 1234);
const failure = (argv: string[], env: Record<string, string> = {}): string => {
  try {
    parse(argv, env);
  } catch (err) {
    if (err instanceof OptionsError) return err.message;
    throw err;
  }
  throw new Error('expected an OptionsError');
};

describe('parseOptions', () => {
  it('has the documented defaults', () => {
    expect(parse([])).toEqual({
      lineIds: ['1', '2', '3', '4', '5', '6', '7', '8'],
      rateHz: 10,
      mqttUrl: 'mqtt://localhost:1883',
      username: 'device',
      password: 'device-demo',
      qos: 1,
      faults: [],
      durationS: undefined,
      seed: 1234,
    });
  });

  it('reads the environment, and flags win over it', () => {
    const env = { SIM_LINES: '3', SIM_RATE_HZ: '2.5', MQTT_PORT: '18830', SIM_FAULTS: '1:stop', SIM_SEED: '7' };
    const fromEnv = parse([], env);
    expect(fromEnv).toMatchObject({ lineIds: ['1', '2', '3'], rateHz: 2.5, mqttUrl: 'mqtt://localhost:18830', seed: 7 });
    expect(fromEnv.faults).toEqual([{ lineId: '1', kind: 'stop' }]);
    const flags = parse(['--lines', '4', '--rate=20', '--url', 'mqtt://10.0.0.5:1884', '--fault', '4:heater,2:garbage', '--fault', '3:silent', '--qos', '0', '--duration', '15'], env);
    expect(flags).toMatchObject({ lineIds: ['1', '2', '3', '4'], rateHz: 20, mqttUrl: 'mqtt://10.0.0.5:1884', qos: 0, durationS: 15, seed: 7 });
    expect(flags.faults.map((f) => `${f.lineId}:${f.kind}`)).toEqual(['4:heater', '2:garbage', '3:silent']);
    expect(parse([], { MQTT_URL: 'mqtts://broker:8883', MQTT_PORT: '1' }).mqttUrl).toBe('mqtts://broker:8883');
  });

  it('uses demo credentials only outside production', () => {
    expect(parse([], { NODE_ENV: 'production' })).toMatchObject({ username: undefined, password: undefined });
    expect(parse([], { NODE_ENV: 'production', MQTT_USERNAME: 'plc', MQTT_PASSWORD: 's3cret' })).toMatchObject({ username: 'plc', password: 's3cret' });
    expect(parse([], { MQTT_USERNAME: 'plc' })).toMatchObject({ username: 'plc', password: undefined });
  });

  it('refuses bad values with a message that names the culprit', () => {
    expect(failure(['--lines', '0'])).toMatch(/--lines must be an integer from 1/);
    expect(failure(['--lines', '2.5'])).toMatch(/--lines/);
    expect(failure([], { SIM_RATE_HZ: 'fast' })).toMatch(/SIM_RATE_HZ must be a number/);
    expect(failure(['--rate', '0'])).toMatch(/--rate/);
    expect(failure(['--rate', '5000'])).toMatch(/at most 1000/);
    expect(failure(['--qos', '3'])).toMatch(/--qos/);
    expect(failure(['--fault', '9:heater'])).toMatch(/line "9", which is not simulated/);
    expect(failure(['--fault', '2:melt'])).toMatch(/Unknown fault kind "melt"/);
    expect(failure(['--fault', 'heater'])).toMatch(/LINE:KIND/);
    expect(failure(['--url', 'http://x'])).toMatch(/mqtt:\/\//);
    expect(failure([], { MQTT_PORT: '99999' })).toMatch(/MQTT_PORT/);
    expect(failure(['--seed', '-1'])).toMatch(/--seed/);
    expect(failure(['--verbose'])).toMatch(/Unknown argument "--verbose"/);
    expect(failure(['--rate'])).toMatch(/--rate needs a value/);
  });

  it('spots --help anywhere', () => {
    expect(wantsHelp(['--lines', '3', '--help'])).toBe(true);
    expect(wantsHelp(['-h'])).toBe(true);
    expect(wantsHelp(['--lines', '3'])).toBe(false);
  });
});
