import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './private-redis';

const exec = promisify(execFile);

/** The redis-server of Debian's `redis-server` package (installed by scripts/setup.sh); also runs as a sentinel. */
const REDIS_SERVER = process.env.REDIS_SERVER_PATH ?? 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI_PATH ?? 'redis-cli';

/** One redis-server process of a test, in a directory of its own, stopped by `stop()`. */
class RedisProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly port: number,
    private readonly args: string[],
  ) {}

  async start(): Promise<void> {
    const child = spawn(REDIS_SERVER, this.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 10_000;
    while ((await cli(this.port, 'PING').catch(() => '')) !== 'PONG') {
      if (this.child !== child) throw new Error(`redis-server on port ${this.port} exited at start: ${stderr.slice(0, 500)}`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer`);
      await sleep(25);
    }
  }

  get running(): boolean {
    return this.child !== null;
  }

  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill(signal);
    await this.exited;
    this.child = null;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One command through redis-cli; answers its output without the trailing newline. */
export async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await exec(REDIS_CLI, ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 5000 });
  return stdout.trimEnd();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Data nodes keep nothing on disk: a test's Redis is thrown away with its directory. */
const NO_PERSISTENCE = ['--save', '', '--appendonly', 'no'];

/**
 * A real Redis Cluster of `masters` masters (no replicas) on spare local ports, each node in a temporary
 * directory, made with `redis-cli --cluster create`; `stop()` kills the nodes and removes the directory.
 */
export class RedisCluster {
  private constructor(
    private readonly dir: string,
    private readonly nodes: RedisProcess[],
  ) {}

  static async start(masters = 3): Promise<RedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'lb-redis-cluster-'));
    const nodes: RedisProcess[] = [];
    const cluster = new RedisCluster(dir, nodes);
    try {
      for (let i = 0; i < masters; i++) {
        const port = await freePort();
        const node = new RedisProcess(port, [
          '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--cluster-enabled', 'yes',
          '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000', ...NO_PERSISTENCE, '--daemonize', 'no',
        ]);
        await node.start();
        nodes.push(node);
      }
      await exec(REDIS_CLI, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: 20_000 });
      for (const node of nodes) await until(`cluster node ${node.port} ok`, async () => (await cli(node.port, 'CLUSTER', 'INFO')).includes('cluster_state:ok'));
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** REDIS_CLUSTER_NODES: every node (ioredis learns the slots from any of them). */
  get nodeList(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get ports(): number[] {
    return this.nodes.map((n) => n.port);
  }

  /** How many keys matching `pattern` each master holds. */
  async keysPerNode(pattern: string): Promise<number[]> {
    return Promise.all(this.nodes.map(async (n) => (await cli(n.port, '--scan', '--pattern', pattern)).split('\n').filter(Boolean).length));
  }

  /** For afterAll: never throws, leaves no process or file behind. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop().catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A real Sentinel group on spare local ports: a master, one replica, and three sentinels (`redis-server
 * --sentinel`, quorum 2) watching it under `name`; each with its own files in a temporary directory.
 */
export class RedisSentinelGroup {
  readonly name = 'lb-test-master';

  private constructor(
    private readonly dir: string,
    private readonly data: RedisProcess[],
    private readonly sentinels: RedisProcess[],
  ) {}

  static async start(): Promise<RedisSentinelGroup> {
    const dir = mkdtempSync(join(tmpdir(), 'lb-redis-sentinel-'));
    const data: RedisProcess[] = [];
    const sentinels: RedisProcess[] = [];
    const group = new RedisSentinelGroup(dir, data, sentinels);
    try {
      const masterPort = await freePort();
      const master = new RedisProcess(masterPort, ['--port', String(masterPort), '--bind', '127.0.0.1', '--dir', dir, ...NO_PERSISTENCE, '--daemonize', 'no']);
      await master.start();
      data.push(master);
      const replicaPort = await freePort();
      const replica = new RedisProcess(replicaPort, [
        '--port', String(replicaPort), '--bind', '127.0.0.1', '--dir', dir, ...NO_PERSISTENCE, '--daemonize', 'no', '--replicaof', '127.0.0.1', String(masterPort),
      ]);
      await replica.start();
      data.push(replica);
      await until('the replica in sync', async () => (await cli(replicaPort, 'INFO', 'replication')).includes('master_link_status:up'));
      for (let i = 0; i < 3; i++) {
        const port = await freePort();
        // A sentinel rewrites its configuration file: each gets one of its own.
        const conf = join(dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${group.name} 127.0.0.1 ${masterPort} 2`,
            `sentinel down-after-milliseconds ${group.name} 1000`,
            `sentinel failover-timeout ${group.name} 10000`,
            `sentinel parallel-syncs ${group.name} 1`,
            '',
          ].join('\n'),
        );
        const sentinel = new RedisProcess(port, [conf, '--sentinel']);
        await sentinel.start();
        sentinels.push(sentinel);
      }
      await until('the sentinels to know the replica and each other', async () => {
        const answers = await Promise.all(sentinels.map((s) => cli(s.port, 'SENTINEL', 'MASTER', group.name)));
        return answers.every((a) => /num-slaves\n1\b/.test(a) && /num-other-sentinels\n2\b/.test(a));
      });
      return group;
    } catch (err) {
      await group.stop();
      throw err;
    }
  }

  /** REDIS_SENTINELS */
  get sentinelList(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  /** The port of the master the sentinels name now. */
  async masterPort(): Promise<number> {
    const answer = await cli(this.sentinels[0].port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
    return Number(answer.split('\n')[1]);
  }

  /**
   * `SENTINEL FAILOVER`: the replica is promoted and the old master made its replica; resolves once every
   * sentinel names the new master and it accepts writes.
   */
  async failover(): Promise<{ from: number; to: number }> {
    const from = await this.masterPort();
    await cli(this.sentinels[0].port, 'SENTINEL', 'FAILOVER', this.name);
    await until('the sentinels to name a new master', async () => {
      const ports = await Promise.all(this.sentinels.map((s) => cli(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name).then((a) => Number(a.split('\n')[1]))));
      return ports.every((p) => p !== from);
    });
    const to = await this.masterPort();
    await until('the new master to take writes', async () => (await cli(to, 'INFO', 'replication')).includes('role:master'));
    return { from, to };
  }

  /**
   * SIGKILLs the master (a crash: what it had not replicated is gone); resolves once every sentinel names the
   * replica as master and it accepts writes.
   */
  async killMaster(): Promise<{ from: number; to: number }> {
    const from = await this.masterPort();
    await this.data.find((p) => p.port === from)?.stop('SIGKILL');
    await until(
      'the sentinels to promote the replica',
      async () => {
        const ports = await Promise.all(this.sentinels.map((s) => cli(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name).then((a) => Number(a.split('\n')[1]))));
        return ports.every((p) => p !== from);
      },
      30_000,
    );
    const to = await this.masterPort();
    await until('the new master to take writes', async () => (await cli(to, 'INFO', 'replication')).includes('role:master'));
    return { from, to };
  }

  /** For afterAll: never throws, leaves no process or file behind. */
  async stop(): Promise<void> {
    await Promise.all([...this.sentinels, ...this.data].map((p) => p.stop().catch(() => undefined)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
