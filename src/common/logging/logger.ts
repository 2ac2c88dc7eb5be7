import { LoggerService } from '@nestjs/common';
import pino, { Logger } from 'pino';

/**
 * One pino logger for Fastify's request logs (one line per request, at debug: see createApp) and Nest's own
 * messages. Request logs carry method, route, status, duration and the request id; never headers (API keys),
 * bodies or query strings (personal data).
 */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'labor-brands' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: ['req.headers', 'headers.authorization', '*.authorization', '*.nationalId', '*.phone', '*.fullName'], remove: true },
    serializers: {
      req: (req: { method: string; url: string; id: string }) => ({ method: req.method, path: req.url.split('?')[0], id: req.id }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: pino.stdSerializers.err,
    },
  });
}

/**
 * An error as it may be logged: its type, message, code and stack, without what a database error carries along —
 * the query's parameters, the row detail — and with values the message quotes ("…") blanked: any of them may be
 * personal data.
 */
export function safeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err).slice(0, 200) };
  const e = err as Error & { code?: unknown; driverError?: { code?: unknown } };
  return {
    type: e.name,
    message: e.message.replace(/"[^"]*"/g, '"…"').replace(/\([^)]*\)=\([^)]*\)/g, '(…)=(…)'),
    code: e.code ?? e.driverError?.code,
    stack: e.stack?.split('\n').slice(1).join('\n'),
  };
}

/** An error's message as it may be logged (see safeError): for the one-line warnings of workers and relays. */
export function safeMessage(err: unknown): string {
  return String(safeError(err).message);
}

export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
