import * as net from 'node:net';

export interface RawResponse {
  /** Everything the server sent before closing (or before `timeoutMs`). */
  text: string;
  status: number | null;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent until the server closed the connection (null: still open). */
  closedAfterMs: number | null;
}

/**
 * Sends bytes over a plain TCP connection, as a client no library would let you be: broken framing, a missing
 * Host, headers or a body dribbled slowly (`parts` with pauses between them). Resolves when the server closes the
 * connection, or after `timeoutMs`.
 */
export function rawRequest(port: number, parts: Array<string | Buffer | number>, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const started = Date.now();
    let closedAfterMs: number | null = null;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '');
      const headers = Object.fromEntries(lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ text, status: status ? Number(status[1]) : null, headers, body: rest.join('\r\n\r\n'), closedAfterMs });
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => {
      closedAfterMs = Date.now() - started;
      finish();
    });
    socket.on('error', () => undefined);
    socket.on('connect', async () => {
      for (const part of parts) {
        if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
        else if (!socket.destroyed) socket.write(part);
      }
    });
  });
}
