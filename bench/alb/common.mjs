// Helpers shared by the load balancer benchmarks: free ports, nginx in a temp dir, wrk runs and
// their parsing, per-process CPU and memory from /proc, and the machine description.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem, tmpdir, release } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Starts nginx (one worker, like the single Node process) with `body` as its http{} content. */
export async function startNginx(body) {
  const nginx = which('nginx') ?? (which('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
  if (!nginx) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const dir = mkdtempSync(join(tmpdir(), 'atoll-bench-nginx-'));
  chmodSync(dir, 0o755); // nginx workers run as an unprivileged user when started as root
  mkdirSync(join(dir, 'logs'));
  const conf = `worker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log warn;\n` +
    `events { worker_connections 4096; }\nhttp {\n access_log off;\n client_body_temp_path ${dir};\n proxy_temp_path ${dir};\n` +
    ` fastcgi_temp_path ${dir};\n uwsgi_temp_path ${dir};\n scgi_temp_path ${dir};\n${body}\n}\n`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const child = spawn(nginx, ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'inherit', 'inherit'] });
  await new Promise((r) => setTimeout(r, 300));
  const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
  // The worker is the child of the master; CPU is summed over both.
  const pids = [pid, ...spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map(Number)];
  const stop = () => {
    child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    child.kill('SIGTERM');
  };
  return { child, pids, stop };
}

export function cpuTicks(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += Number(fields[11]) + Number(fields[12]);
    } catch { /* gone */ }
  }
  return total; // clock ticks (1/100 s)
}

export function rssMb(pids) {
  let kb = 0;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) kb += Number(m[1]);
    } catch { /* gone */ }
  }
  return kb / 1024;
}

function toMs(text) {
  const m = /([\d.]+)(us|ms|s)/.exec(text);
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

/** Runs wrk and returns { rps, p50, p90, p99, errors } (latencies in ms). */
export function runWrk(url, { connections = 64, seconds = 8, threads = 1 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => {
      const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
      const p = (q) => toMs(new RegExp(`\\s${q}%\\s+(\\S+)`).exec(out)?.[1] ?? '');
      const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? '0';
      const sock = /Socket errors: (.*)/.exec(out)?.[1];
      resolve({ rps, p50: p(50), p90: p(90), p99: p(99), errors: Number(errors), socketErrors: sock, raw: out });
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export function machine() {
  const c = cpus();
  return `${c[0]?.model ?? 'unknown cpu'} x${c.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}`;
}
