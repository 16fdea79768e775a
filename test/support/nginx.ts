import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './waiting';

export interface NginxOptions {
  apiAddresses: string[];
  dashboardAddress: string;
  httpPort: number;
  httpsPort: number;
}

export interface RunningNginx {
  dir: string;
  cert: Buffer;
  output: () => string;
  stop(): Promise<void>;
}

/** Renders nginx/templates/*.template the way the nginx image does (envsubst of our variables only). */
export function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z_]+)\}/g, (whole, name: string) => (name in vars ? vars[name] : whole));
}

/** Debian's nginx running the repository's config in front of local upstreams, with a fresh self-signed certificate. */
export async function startNginx(opts: NginxOptions): Promise<RunningNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'lm-nginx-'));
  chmodSync(dir, 0o755);
  for (const sub of ['certs', 'temp', 'logs']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o777 });
  chmodSync(join(dir, 'temp'), 0o777);
  const made = spawnSync('bash', ['nginx/make-cert.sh', '127.0.0.1', join(dir, 'certs')], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`make-cert.sh failed: ${made.stderr}`);

  const site = renderTemplate(readFileSync('nginx/templates/line-monitor.conf.template', 'utf8'), {
    API_SERVERS: opts.apiAddresses.map((a) => `server ${a};`).join(' '),
    DASHBOARD_SERVERS: `server ${opts.dashboardAddress};`,
    HTTP_PORT: String(opts.httpPort),
    HTTPS_PORT: String(opts.httpsPort),
    HTTPS_REDIRECT_PORT: `:${opts.httpsPort}`,
    CERT_DIR: join(dir, 'certs'),
  });
  const unresolved = site.match(/\$\{[A-Z_]+\}/);
  if (unresolved) throw new Error(`template variable left unrendered: ${unresolved[0]}`);
  writeFileSync(join(dir, 'site.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log stderr warn;
${process.getuid?.() === 0 ? 'user root;' : ''}
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log off;
  client_body_temp_path ${dir}/temp/body;
  proxy_temp_path ${dir}/temp/proxy;
  fastcgi_temp_path ${dir}/temp/fastcgi;
  uwsgi_temp_path ${dir}/temp/uwsgi;
  scgi_temp_path ${dir}/temp/scgi;
  include ${dir}/site.conf;
}
`,
  );
  let out = '';
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        if (child.exitCode !== null) throw new Error(`nginx exited: ${out}`);
        const s = connect(opts.httpsPort, '127.0.0.1');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      }),
    'nginx to listen',
    10_000,
    50,
  );
  return {
    dir,
    cert: readFileSync(join(dir, 'certs', 'tls.crt')),
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGQUIT'); // graceful: finish what is in flight
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
