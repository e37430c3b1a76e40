// js-hcl-parser (a GopherJS build of hashicorp/hcl v1) ships no types.
declare module 'js-hcl-parser' {
  /** HCL1 (or JSON) text in; the JSON text of the HCL1 JSON form out, or an error message string. */
  export function parse(text: string): string;
  export function stringify(json: string): string;
  const HCL: { parse: typeof parse; stringify: typeof stringify };
  export default HCL;
}
