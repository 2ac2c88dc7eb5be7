/**
 * Which event types a pattern names: `*` (every event), `<prefix>.*` (e.g. `placement.*`) or an exact type
 * (e.g. `placement.confirmed`). One rule for the handlers registered with EventHandlers and for the event types a
 * webhook subscription or the event feed asks for.
 */
export const EVENT_TYPE_PATTERN = /^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$/;

export function isEventTypePattern(pattern: string): boolean {
  return EVENT_TYPE_PATTERN.test(pattern);
}

export function eventTypeMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}
