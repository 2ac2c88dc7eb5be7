/** Thrown to short-circuit a handler with a response recorded earlier; the problem filter sends it as it was. */
export class StoredResponse {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string>,
  ) {}
}
