/** Thrown to short-circuit a handler with a response recorded earlier; the problem filter sends it byte for byte. */
export class StoredResponse {
  constructor(
    readonly status: number,
    /** The body as first serialised, or null for an empty one. */
    readonly bodyText: string | null,
    readonly headers: Record<string, string>,
  ) {}
}
