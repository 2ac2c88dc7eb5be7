import { isMessage, render, type Message } from '../../src/common/i18n/message';

/** A type with its messages as the strings they render to. */
export type English<T> = T extends Message ? string : T extends readonly unknown[] ? { [K in keyof T]: English<T[K]> } : T extends object ? { [K in keyof T]: English<T[K]> } : T;

/** The value with every catalogue message in it rendered in English, for assertions on the texts people read. */
export function english<T>(value: T): English<T> {
  if (isMessage(value)) return render(value, 'en') as English<T>;
  if (Array.isArray(value)) return value.map((v) => english(v)) as English<T>;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, english(v)])) as English<T>;
  }
  return value as English<T>;
}
