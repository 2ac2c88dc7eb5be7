/** Random choices for the demo's data: every run makes new people, organizations and outcomes. */

export function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

export function chance(probability: number): boolean {
  return Math.random() < probability;
}

export function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)];
}

export function pickWeighted<T>(options: ReadonlyArray<readonly [T, number]>): T {
  let roll = Math.random() * options.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of options) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return options[options.length - 1][0];
}

/** Normally distributed (Box–Muller), clamped: salaries cluster around a figure but stay within the market's range. */
export function normalBetween(mean: number, sd: number, min: number, max: number): number {
  const z = Math.sqrt(-2 * Math.log(1 - Math.random())) * Math.cos(2 * Math.PI * Math.random());
  return Math.min(max, Math.max(min, mean + z * sd));
}

export function roundTo(value: number, step: number): number {
  return Math.round(value / step) * step;
}

export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

export function randomChars(charset: string, length: number): string {
  return Array.from({ length }, () => pick([...charset])).join('');
}
