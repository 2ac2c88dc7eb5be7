import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Tools the tests check the product with, from Debian's packages (chromium for the pages, promtool for the metrics):
 * installed when missing with apt-get, as root or with sudo, as scripts/setup.sh installs PostgreSQL and Redis.
 * Answers the tool's path; throws, saying why, where it cannot be installed.
 */
export function ensureDebianTool(path: string, packages: string[], purpose: string): string {
  if (existsSync(path)) return path;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args: string[]): void => {
    const [command, ...rest] = [...sudo, ...args];
    execFileSync(command, rest, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  console.log(`==> installing ${packages.join(', ')} (apt-get) for ${purpose}`);
  run(['apt-get', 'update', '-qq']);
  run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages]);
  if (!existsSync(path)) throw new Error(`apt-get installed ${packages.join(', ')}, but ${path} is still missing`);
  return path;
}

/** Prometheus's own checker of the exposition format (Debian package `prometheus`). */
export const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

export function ensurePromtool(): string {
  if (process.env.PROMTOOL_PATH && !existsSync(PROMTOOL)) throw new Error(`PROMTOOL_PATH=${PROMTOOL} does not exist`);
  return ensureDebianTool(PROMTOOL, ['prometheus'], 'the metrics tests');
}
