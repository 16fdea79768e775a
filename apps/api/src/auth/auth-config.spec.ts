import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../config/app-config';

const PROD = { NODE_ENV: 'production', JWT_SECRET: 'k'.repeat(40), ADMIN_PASSWORD: 'a-long-admin-password', MQTT_DEVICE_USERNAME: 'dev', MQTT_DEVICE_PASSWORD: 'a-device-password' };

describe('security settings', () => {
  it('demo mode: demo device, anonymous viewing, the dashboard origins, no secret (one is kept in DATA_DIR)', () => {
    const { auth } = loadConfig({});
    expect(auth).toMatchObject({ jwtSecret: null, allowAnonymousView: true, seedDemoUsers: true, trustProxy: false, allowedOrigins: ['http://localhost:3000', 'http://127.0.0.1:3000'] });
    expect(auth.devices).toEqual([{ username: 'device', password: 'device-demo', lines: ['*'] }]);
  });

  it('production with good settings: no demo users, no anonymous viewing, the configured device', () => {
    const { auth } = loadConfig({ ...PROD, ALLOWED_ORIGINS: 'https://scada.example.com/, https://x.example.com', MQTT_DEVICE_LINES: '1,2' });
    expect(auth).toMatchObject({ allowAnonymousView: false, seedDemoUsers: false, allowedOrigins: ['https://scada.example.com', 'https://x.example.com'] });
    expect(auth.devices).toEqual([{ username: 'dev', password: 'a-device-password', lines: ['1', '2'] }]);
    expect(loadConfig({ ...PROD, ALLOW_ANONYMOUS_VIEW: 'true' }).auth.allowAnonymousView).toBe(true);
  });

  it.each([
    [{ JWT_SECRET: undefined }, 'JWT_SECRET is required'],
    [{ JWT_SECRET: 'short-secret' }, 'JWT_SECRET is too short'],
    [{ JWT_SECRET: 'CHANGE_ME' }, 'JWT_SECRET is a well-known default'],
    [{ ADMIN_PASSWORD: undefined }, 'ADMIN_PASSWORD is required'],
    [{ ADMIN_PASSWORD: 'admin-demo' }, 'must not be the demo password'],
    [{ MQTT_DEVICE_USERNAME: undefined, MQTT_DEVICE_PASSWORD: undefined }, 'embedded MQTT broker needs device credentials'],
    [{ MQTT_DEVICE_PASSWORD: 'device-demo' }, 'MQTT device password must not be the demo password'],
    [{ LOGIN_RATE_LIMIT_PER_USER: '0' }, 'LOGIN_RATE_LIMIT_PER_USER must be an integer'],
    [{ ALLOW_ANONYMOUS_VIEW: 'maybe' }, 'ALLOW_ANONYMOUS_VIEW must be true or false'],
  ])('production refuses %j', (patch, message) => {
    const env: Record<string, string | undefined> = { ...PROD, ...patch };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('production with an external broker needs no embedded-broker devices', () => {
    expect(() => loadConfig({ ...PROD, MQTT_DEVICE_USERNAME: undefined, MQTT_DEVICE_PASSWORD: undefined, MQTT_URL: 'mqtt://mosquitto:1883' })).not.toThrow();
  });
});
