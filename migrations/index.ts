import { Foundation1764300000000 } from './1764300000000-Foundation';

/** Every migration in order. Listed explicitly so the app, the CLI and ts-jest load the same set without globbing. */
export const MIGRATIONS: Function[] = [Foundation1764300000000];
