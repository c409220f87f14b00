/**
 * Redis over TLS for tests: a CA and server certificates made with `openssl` in a fresh temp
 * dir, then standalone servers and a Cluster that listen on a TLS port only (`--port 0`: no
 * plain-text listener at all; cluster bus and replication over TLS too). Stopped by PID.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { freePort } from './free-port';
import { HOST, REDIS_CLI_BIN, baseArgs, killProcess, logTail, sleep, spawnRedis, stopProcess, type RedisProcess } from './redis-server';

/** PEM files of one test PKI. */
export interface TlsFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A second, unrelated CA: a client trusting only it must refuse the servers. */
  readonly otherCaCert: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA. */
export function makeTlsFiles(): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'ringcache-tls-'));
  const subj = (cn: string) => ['-subj', `/CN=${cn}`];
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', ...subj('ringcache test CA')], dir);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', ...subj('unrelated CA')], dir);
  openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', ...subj('127.0.0.1')], dir);
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf'], dir);
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    otherCaCert: join(dir, 'other.crt'),
  };
}

/** ioredis `tls` options trusting `caFile` (the test CA unless told otherwise). */
export function tlsClientOptions(files: TlsFiles, caFile = files.caCert): { ca: Buffer; servername: string } {
  return { ca: readFileSync(caFile), servername: 'localhost' };
}

function tlsArgs(files: TlsFiles, tlsPort: number): string[] {
  return [
    '--tls-port', String(tlsPort),
    '--tls-cert-file', files.serverCert,
    '--tls-key-file', files.serverKey,
    '--tls-ca-cert-file', files.caCert,
    // Servers don't ask clients for certificates (the usual managed-Redis setup); the client
    // still verifies the server against the CA.
    '--tls-auth-clients', 'no',
  ];
}

/** One PING over TLS; resolves with the reply line. */
export function tlsPing(port: number, files: TlsFiles, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: HOST, port, ca: readFileSync(files.caCert), servername: 'localhost' });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`TLS PING to ${port} timed out`));
    }, timeoutMs);
    let buf = '';
    sock.on('secureConnect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.includes('\r\n')) {
        clearTimeout(timer);
        sock.destroy();
        resolve(buf.trim());
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

async function waitForTlsPing(port: number, p: RedisProcess, logFile: string, files: TlsFiles): Promise<void> {
  let exited = false;
  void p.exited.then(() => {
    exited = true;
  });
  for (let i = 0; i < 400; i++) {
    if (exited) throw new Error(`redis-server (TLS ${port}) exited during startup:\n${logTail(logFile)}`);
    try {
      if ((await tlsPing(port, files)) === '+PONG') return;
    } catch {
      /* not up yet */
    }
    await sleep(25);
  }
  throw new Error(`redis-server (TLS ${port}) did not answer PING:\n${logTail(logFile)}`);
}

/** `redis-cli` over TLS against `port`; returns stdout. */
export function tlsCli(files: TlsFiles, port: number, ...args: string[]): string {
  return execFileSync(REDIS_CLI_BIN, ['--tls', '--cacert', files.caCert, '-h', HOST, '-p', String(port), ...args], { encoding: 'utf8', stdio: 'pipe' });
}

/** A redis-server reachable only over TLS. */
export class TlsRedisServer {
  private constructor(
    readonly port: number,
    readonly dir: string,
    readonly proc: RedisProcess,
  ) {}

  static async start(files: TlsFiles, extraArgs: readonly string[] = []): Promise<TlsRedisServer> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const dir = mkdtempSync(join(tmpdir(), 'ringcache-redis-tls-'));
      const port = await freePort();
      const proc = spawnRedis([...baseArgs(0, dir), ...tlsArgs(files, port), ...extraArgs]);
      try {
        await waitForTlsPing(port, proc, join(dir, 'redis.log'), files);
        return new TlsRedisServer(port, dir, proc);
      } catch (err) {
        lastErr = err;
        await killProcess(proc);
        rmSync(dir, { recursive: true, force: true });
      }
    }
    throw lastErr;
  }

  async stop(): Promise<void> {
    await stopProcess(this.proc);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of masters only, over TLS (client port, cluster bus and replication). */
export class TlsRedisCluster {
  private constructor(readonly nodes: readonly TlsRedisServer[]) {}

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  static async start(files: TlsFiles, masters = 3): Promise<TlsRedisCluster> {
    const nodes: TlsRedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) {
        const busPort = await freePort();
        nodes.push(
          await TlsRedisServer.start(files, [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-port', String(busPort),
            '--cluster-node-timeout', '2000',
            '--tls-cluster', 'yes',
            '--tls-replication', 'yes',
          ]),
        );
      }
      const addrs = nodes.map((n) => `${HOST}:${n.port}`);
      execFileSync(REDIS_CLI_BIN, ['--tls', '--cacert', files.caCert, '--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], {
        stdio: 'pipe',
      });
      for (let i = 0; i < 400; i++) {
        const ok = nodes.every((n) => /cluster_state:ok/.test(tlsCli(files, n.port, 'CLUSTER', 'INFO')) && tlsCli(files, n.port, 'CLUSTER', 'NODES').trim().split('\n').length === masters);
        if (ok) return new TlsRedisCluster(nodes);
        await sleep(50);
      }
      throw new Error('TLS cluster did not reach cluster_state:ok');
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw err;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
