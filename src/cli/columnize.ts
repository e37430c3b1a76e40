// ryanuber/columnize as Nomad's CLI uses it (contract §7.1): `|`-separated rows, every cell
// trimmed, each column but the last left-aligned to its widest cell (in runes) and followed by the
// glue; the last column is not padded; no trailing newline.

export interface ColumnizeConfig {
  delim?: string;
  glue?: string;
  prefix?: string;
  /** Replaces empty cells (after trimming) when non-empty. */
  empty?: string;
}

const runes = (s: string): number => [...s].length;

export function columnize(lines: readonly string[], config: ColumnizeConfig = {}): string {
  const delim = config.delim ?? '|';
  const glue = config.glue ?? '  ';
  const prefix = config.prefix ?? '';
  const empty = config.empty ?? '';
  const rows = lines.map((line) =>
    line.split(delim).map((cell) => {
      const v = cell.trim();
      return v === '' && empty !== '' ? empty : v;
    }),
  );
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, runes(cell));
    });
  }
  let out = '';
  for (const row of rows) {
    out += prefix;
    row.forEach((cell, i) => {
      if (i === row.length - 1) out += `${cell}\n`;
      else out += cell + ' '.repeat(Math.max(0, (widths[i] ?? 0) - runes(cell))) + glue;
    });
  }
  return out.endsWith('\n') ? out.slice(0, -1) : out;
}

/** Nomad's formatList: two-space glue, empty cells become `<none>`. */
export function formatList(rows: readonly string[]): string {
  return columnize(rows, { glue: '  ', empty: '<none>' });
}

/** Nomad's formatKV: ` = ` glue, empty values become `<none>`. */
export function formatKV(rows: readonly string[]): string {
  return columnize(rows, { glue: ' = ', empty: '<none>' });
}

/** Nomad's formatListWithSpaces (and columnize.SimpleFormat): two-space glue, empty cells stay empty. */
export function formatListWithSpaces(rows: readonly string[]): string {
  return columnize(rows, {});
}

/** columnize.SimpleFormat. */
export const simpleFormat = formatListWithSpaces;
