import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';

// No Docker engine runs on these machines: the compose file is checked as data instead.
interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  healthcheck?: { test: string[] | string };
  depends_on?: Record<string, { condition: string }>;
  cap_drop?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  user?: string;
  ports?: string[];
}

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;
const raw = readFileSync('docker-compose.yml', 'utf8');

describe('docker-compose.yml', () => {
  it('has the production services', () => {
    expect(Object.keys(services).sort()).toEqual(['api-1', 'api-2', 'dashboard', 'mosquitto', 'nginx', 'postgres']);
  });

  it.each(Object.keys(services))('%s has a healthcheck and drops all capabilities', (name) => {
    expect(services[name].healthcheck?.test).toBeDefined();
    expect(services[name].cap_drop).toEqual(['ALL']);
  });

  it('starts each service only once what it needs is healthy', () => {
    const needs: Record<string, string[]> = {
      'api-1': ['mosquitto', 'postgres'],
      'api-2': ['mosquitto', 'postgres'],
      dashboard: ['api-1'],
      nginx: ['api-1', 'api-2', 'dashboard'],
    };
    for (const [name, deps] of Object.entries(needs)) {
      expect(Object.keys(services[name].depends_on ?? {}).sort()).toEqual(deps);
      for (const dep of deps) expect(services[name].depends_on?.[dep].condition).toBe('service_healthy');
    }
  });

  it('takes every secret from the environment and refuses to start without it', () => {
    for (const secret of ['POSTGRES_PASSWORD', 'JWT_SECRET', 'ADMIN_PASSWORD', 'MQTT_PASSWORD', 'MQTT_HEALTHCHECK_PASSWORD', 'PUBLIC_ORIGIN']) {
      expect(raw).toMatch(new RegExp(`\\$\\{${secret}:\\?`));
    }
    // No literal credentials: every password-like value is a ${...} reference.
    for (const svc of Object.values(services)) {
      for (const [key, value] of Object.entries(svc.environment ?? {})) {
        if (/PASSWORD|SECRET/.test(key)) expect(String(value)).toMatch(/^\$\{|:\/\/.*\$\{/);
      }
    }
    expect(services['api-1'].environment).toMatchObject({ NODE_ENV: 'production', TRUST_PROXY: expect.any(String) });
  });

  it('keeps data in named volumes and runs the app containers as non-root users', () => {
    expect(Object.keys(compose.volumes).sort()).toEqual(['mosquitto-data', 'pgdata']);
    expect(services.postgres.volumes).toContain('pgdata:/var/lib/postgresql/data');
    expect(services.mosquitto.user).toBe('1883:1883');
    for (const file of ['apps/api/Dockerfile', 'apps/dashboard/Dockerfile']) {
      const users = readFileSync(file, 'utf8').match(/^USER\s+(\S+)/gm) ?? [];
      expect(users.at(-1)).toBe('USER node');
    }
  });

  it('exposes only nginx (80, 443) and the devices\' MQTT over TLS (8883) to the outside', () => {
    const published = Object.entries(services).flatMap(([name, s]) => (s.ports ?? []).map((p) => `${name}:${p}`));
    expect(published.sort()).toEqual(['mosquitto:8883:8883', 'nginx:443:443', 'nginx:80:80']);
  });

  it('runs two api instances that share ingest, each with its own identity, both behind nginx', () => {
    const envs = ['api-1', 'api-2'].map((name) => services[name].environment ?? {});
    for (const env of envs) expect(env.MQTT_SHARED_GROUP).toBe('line-monitor');
    expect(envs.map((env) => env.INSTANCE_ID)).toEqual(['api-1', 'api-2']);
    expect(envs[1]).toEqual({ ...envs[0], INSTANCE_ID: 'api-2' });
    expect(services.nginx.environment?.API_SERVERS).toBe('server api-1:8080; server api-2:8080;');
  });

  it('configures mosquitto for the api: persistence, no Nagle, deep queues, no anonymous access', () => {
    const conf = readFileSync('deploy/mosquitto/mosquitto.conf', 'utf8');
    expect(conf).toMatch(/^persistence true$/m);
    expect(conf).toMatch(/^set_tcp_nodelay true$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(Number(/^max_queued_messages (\d+)$/m.exec(conf)?.[1])).toBeGreaterThan(1000);
  });
});
