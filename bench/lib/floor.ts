/** Starts bench/lib/floor-server.mjs (the application tier's floor) on a free port and stops it. */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from './api';

export interface FloorServer {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startFloorServer(databaseUrl: string, poolSize: number): Promise<FloorServer> {
  const port = await freePort();
  const child = fork(join(__dirname, 'floor-server.mjs'), [databaseUrl, String(port), String(poolSize)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid as number,
    stop: async () => {
      if (child.exitCode !== null) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await done;
    },
  };
}
