import { Foundation1764300000000 } from './1764300000000-Foundation';
import { Brands1764300100000 } from './1764300100000-Brands';

/** Every migration in order. Listed explicitly so the app, the CLI and ts-jest load the same set without globbing. */
export const MIGRATIONS: Function[] = [Foundation1764300000000, Brands1764300100000];
