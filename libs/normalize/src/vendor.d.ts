// Neither package ships type declarations; these are the calls this library makes.

declare module 'namecase' {
  /** Fixes the capitalization of a person's name (Mc/Mac, O', particles such as van der). */
  function namecase(name: string): string;
  export = namecase;
}

declare module 'parse-full-name' {
  export interface ParsedName {
    title: string;
    first: string;
    middle: string;
    last: string;
    nick: string;
    suffix: string;
    error: string[];
  }
  /** fixCase: 0 keeps the case as typed. */
  export function parseFullName(name: string, part: 'all', fixCase: 0 | 1 | -1): ParsedName;
}
