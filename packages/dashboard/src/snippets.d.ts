/** The user-hash snippets of docs/snippets, bundled by build.mjs (see snippets-from-docs.mjs). */
declare module 'verity:snippets' {
  export interface Snippet {
    /** As docs/snippets.md names it, e.g. "Python". */
    readonly language: string
    /** Each file of the snippet: its path under docs/snippets and its text. */
    readonly files: readonly { readonly path: string; readonly code: string }[]
    /** How to run it, with the secret in "$SECRET" and the identifier in "$IDENTIFIER". */
    readonly run: string
    readonly pitfalls: string
  }
  export const SNIPPETS: readonly Snippet[]
}
