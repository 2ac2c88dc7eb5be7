import { MESSAGES, type MessageKey } from './messages';
import type { Language } from './language';

/** The `{name}` placeholders of a template, as a union of names. */
type PlaceholdersOf<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | PlaceholdersOf<Rest> : never;

/** A parameter: a value shown as is, a message rendered in the same language, or messages joined with '; '. */
type ParamValue = string | number | Message | readonly Message[];
type PlaceholdersOfKey<K extends MessageKey> = PlaceholdersOf<(typeof MESSAGES)[K]['en']>;

/** msg()'s parameters after the key: none for a text without placeholders, else one value per placeholder. */
export type ParamsOf<K extends MessageKey> = [PlaceholdersOfKey<K>] extends [never] ? [] : [Record<PlaceholdersOfKey<K>, ParamValue>];

/**
 * A text for a person, not yet in a language: a key of the catalogue (messages.ts) and its parameters. Problems
 * carry messages; the answer renders them in the language the request asks for.
 */
export interface Message {
  readonly key: MessageKey;
  readonly params: Readonly<Record<string, ParamValue>>;
}

/** A message of the catalogue; its parameters are checked against the placeholders of its English text. */
export function msg<K extends MessageKey>(key: K, ...params: ParamsOf<K>): Message {
  return { key, params: ((params as unknown[])[0] ?? {}) as Record<string, ParamValue> };
}

export function isMessage(value: unknown): value is Message {
  return typeof value === 'object' && value !== null && typeof (value as Message).key === 'string' && (value as Message).key in MESSAGES;
}

/** The message in a language; a parameter that is itself a message is rendered in the same language. */
export function render(message: Message, language: Language): string {
  const template: string = MESSAGES[message.key][language];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = message.params[name];
    if (value === undefined) return whole;
    if (Array.isArray(value)) return value.map((m: Message) => render(m, language)).join(language === 'zh' ? '；' : '; ');
    return typeof value === 'object' ? render(value as Message, language) : String(value);
  });
}
