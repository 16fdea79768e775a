import { describe, expect, it } from '@jest/globals';
import { authenticateMqtt, type BrokerAccess, mayPublish, maySubscribe, mayUseClientId } from './mqtt-acl';

const access: BrokerAccess = {
  service: { username: 'line-monitor-api', password: 'svc-secret' },
  devices: [
    { username: 'line3', password: 'p3', lines: ['3'] },
    { username: 'device', password: 'device-demo', lines: ['*'] },
  ],
};
const line3 = authenticateMqtt(access, 'line3', 'p3')!;
const shared = authenticateMqtt(access, 'device', 'device-demo')!;
const service = authenticateMqtt(access, 'line-monitor-api', 'svc-secret')!;

describe('embedded broker access rules', () => {
  it.each([
    ['line3', 'p3', true],
    ['line3', 'p4', false],
    ['line3', undefined, false],
    ['nobody', 'p3', false],
    [undefined, undefined, false],
    ['line-monitor-api', 'svc-secret', true],
    ['line-monitor-api', 'device-demo', false],
  ])('authenticates %s / %s: %s', (u, p, ok) => {
    expect(authenticateMqtt(access, u, p) !== null).toBe(ok);
  });

  it.each([
    ['plant/lines/3/telemetry', true, true],
    ['plant/lines/3/status', true, true],
    ['plant/lines/4/telemetry', false, true],
    ['plant/lines/3', false, false],
    ['plant/lines/3/', false, false],
    ['plant/other', false, false],
    ['$SYS/broker/x', false, false],
    ['plant/lines/../telemetry', false, false],
  ])('publish to %s: line-3 device %s, shared device %s', (topic, forLine3, forShared) => {
    expect(mayPublish(line3, topic)).toBe(forLine3);
    expect(mayPublish(shared, topic)).toBe(forShared);
    expect(mayPublish(service, topic)).toBe(true);
  });

  it.each([
    ['plant/lines/3/commands', true, true],
    ['plant/lines/3/#', true, true],
    ['plant/lines/4/#', false, true],
    ['plant/lines/+/telemetry', false, false],
    ['plant/lines/#', false, false],
    ['#', false, false],
    ['$share/g/plant/lines/3/telemetry', false, false],
    ['$SYS/#', false, false],
  ])('subscribe to %s: line-3 device %s, shared device %s', (filter, forLine3, forShared) => {
    expect(maySubscribe(line3, filter)).toBe(forLine3);
    expect(maySubscribe(shared, filter)).toBe(forShared);
    expect(maySubscribe(service, filter)).toBe(true);
  });

  it("keeps the api's client ids for the api", () => {
    expect(mayUseClientId(shared, 'line-monitor-api', 'line-monitor-api')).toBe(false);
    expect(mayUseClientId(shared, 'sim-line-1', 'line-monitor-api')).toBe(true);
    expect(mayUseClientId(service, 'line-monitor-api', 'line-monitor-api')).toBe(true);
  });
});
