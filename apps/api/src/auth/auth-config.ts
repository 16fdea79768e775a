/** Security settings (DESIGN.md section 8), parsed from the environment by loadConfig. */
export interface DeviceCredential {
  username: string;
  password: string;
  /** Line ids this device may publish under; `['*']` for the shared demo device (any line). */
  lines: string[];
}

export interface AuthConfig {
  /** null in demo mode without JWT_SECRET: a random secret is kept in DATA_DIR (auth/jwt-secret.ts). */
  jwtSecret: string | null;
  tokenTtlSeconds: number;
  allowAnonymousView: boolean;
  /** Browser origins allowed for the WebSocket and CORS. */
  allowedOrigins: string[];
  /** Take the client address from X-Forwarded-For (only behind a proxy we run: nginx). */
  trustProxy: boolean;
  /** Creates or updates the `admin` user at start; required in production. */
  adminPassword: string | null;
  seedDemoUsers: boolean;
  loginRateLimit: { perUser: number; perAddress: number; windowSeconds: number };
  /** Devices the embedded broker accepts. */
  devices: DeviceCredential[];
}

export const DEMO_USERS = [
  { username: 'operator', password: 'operator-demo', role: 'operator' },
  { username: 'engineer', password: 'engineer-demo', role: 'engineer' },
  { username: 'admin', password: 'admin-demo', role: 'admin' },
] as const;
export const DEMO_DEVICE: DeviceCredential = { username: 'device', password: 'device-demo', lines: ['*'] };
export const MIN_JWT_SECRET_LENGTH = 32;
// Placeholders people copy from examples; refused in production even when long enough.
const KNOWN_DEFAULT_SECRETS = ['change_me', 'changeme', 'change-me', 'secret', 'jwt_secret', 'your-secret-key'];

type Env = Record<string, string | undefined>;

function flag(env: Env, key: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  problems.push(`${key} must be true or false (got "${env[key]}")`);
  return fallback;
}

function count(env: Env, key: string, fallback: number, min: number, max: number, problems: string[]): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${key} must be an integer from ${min} to ${max} (got "${raw}")`);
    return fallback;
  }
  return n;
}

/** `username:password:line1,line2` per line (`*` = any line); `#` starts a comment. */
export function parseDeviceList(text: string): DeviceCredential[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l, i) => {
      const [username, password, lines] = l.split(':');
      if (!username || !password || !lines) throw new Error(`line ${i + 1}: expected username:password:line_ids`);
      return { username, password, lines: lines.split(',').map((s) => s.trim()).filter(Boolean) };
    });
}

/** Parses the security settings; every problem goes to `problems` (the caller throws ConfigError). */
export function parseAuthConfig(
  env: Env,
  opts: { production: boolean; embeddedBroker: boolean; readFile: (path: string) => string },
  problems: string[],
): AuthConfig {
  const { production } = opts;
  const jwtSecret = env.JWT_SECRET || null;
  if (production) {
    if (!jwtSecret) problems.push(`JWT_SECRET is required in production (at least ${MIN_JWT_SECRET_LENGTH} random characters, e.g. \`openssl rand -base64 48\`)`);
    else if (KNOWN_DEFAULT_SECRETS.includes(jwtSecret.toLowerCase())) problems.push('JWT_SECRET is a well-known default value: generate a random one');
    else if (jwtSecret.length < MIN_JWT_SECRET_LENGTH) problems.push(`JWT_SECRET is too short (${jwtSecret.length} characters, at least ${MIN_JWT_SECRET_LENGTH})`);
  } else if (jwtSecret && jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    problems.push(`JWT_SECRET is too short (${jwtSecret.length} characters, at least ${MIN_JWT_SECRET_LENGTH})`);
  }

  const adminPassword = env.ADMIN_PASSWORD || null;
  if (production && !adminPassword) problems.push('ADMIN_PASSWORD is required in production (the admin user is created or updated from it)');
  if (production && adminPassword && (adminPassword === 'admin-demo' || adminPassword.length < 10)) {
    problems.push('ADMIN_PASSWORD must not be the demo password and needs at least 10 characters');
  }

  const devices: DeviceCredential[] = [];
  if (env.MQTT_DEVICE_USERNAME || env.MQTT_DEVICE_PASSWORD) {
    if (!env.MQTT_DEVICE_USERNAME || !env.MQTT_DEVICE_PASSWORD) problems.push('MQTT_DEVICE_USERNAME and MQTT_DEVICE_PASSWORD go together');
    else {
      const lines = (env.MQTT_DEVICE_LINES || '*').split(',').map((s) => s.trim()).filter(Boolean);
      devices.push({ username: env.MQTT_DEVICE_USERNAME, password: env.MQTT_DEVICE_PASSWORD, lines });
    }
  }
  if (env.MQTT_DEVICES_FILE) {
    try {
      devices.push(...parseDeviceList(opts.readFile(env.MQTT_DEVICES_FILE)));
    } catch (err) {
      problems.push(`MQTT_DEVICES_FILE ${env.MQTT_DEVICES_FILE}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (devices.length === 0 && !production) devices.push(DEMO_DEVICE);
  if (production && opts.embeddedBroker && devices.length === 0) {
    problems.push('the embedded MQTT broker needs device credentials in production: MQTT_DEVICE_USERNAME and MQTT_DEVICE_PASSWORD, or MQTT_DEVICES_FILE (or set MQTT_URL)');
  }
  if (production && devices.some((d) => d.password === DEMO_DEVICE.password)) problems.push('MQTT device password must not be the demo password in production');

  const origins = (env.ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean);
  return {
    jwtSecret,
    tokenTtlSeconds: count(env, 'JWT_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600, problems),
    allowAnonymousView: flag(env, 'ALLOW_ANONYMOUS_VIEW', !production, problems),
    allowedOrigins: origins.length > 0 ? origins : ['http://localhost:3000', 'http://127.0.0.1:3000'],
    trustProxy: flag(env, 'TRUST_PROXY', false, problems),
    adminPassword,
    seedDemoUsers: !production,
    loginRateLimit: {
      perUser: count(env, 'LOGIN_RATE_LIMIT_PER_USER', 5, 1, 100_000, problems),
      perAddress: count(env, 'LOGIN_RATE_LIMIT_PER_ADDRESS', 30, 1, 1_000_000, problems),
      windowSeconds: count(env, 'LOGIN_RATE_WINDOW_SECONDS', 300, 1, 86_400, problems),
    },
    devices,
  };
}
