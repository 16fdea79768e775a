import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('defaults to the laptop setup: embedded database and broker, port 8080, demo mode', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ demo: true, http: { port: 8080 }, database: { url: null }, mqtt: { url: null, embeddedPort: 1883 } });
  });

  it('uses external services when their URLs are set', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/lm', MQTT_URL: 'mqtt://broker:1883' });
    expect(c.database.url).toBe('postgres://u:p@db:5432/lm');
    expect(c.mqtt.url).toBe('mqtt://broker:1883');
  });

  it('is not in demo mode in production', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40), ADMIN_PASSWORD: 'a-long-admin-password', MQTT_URL: 'mqtt://broker:1883' };
    expect(loadConfig(production).demo).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer'],
    [{ PORT: '70000' }, 'PORT must be an integer'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a URL starting with postgres://'],
    [{ MQTT_URL: 'http://x' }, 'MQTT_URL must be a URL'],
  ])('fails fast on %j', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
