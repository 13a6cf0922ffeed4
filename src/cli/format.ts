/** Plain-text formatting of numbers and matrices for terminal output. */

/** A number with `digits` decimals, with −0 shown as 0. */
export function fmt(v: number, digits = 4): string {
  const s = v.toFixed(digits);
  return /^-0\.0*$/.test(s) ? s.slice(1) : s;
}

/** Matrix rows as aligned text lines, e.g. `[ 0.3110  0.4121]`. */
export function matrixLines(rows: readonly (readonly number[])[], digits = 4): string[] {
  const cells = rows.map((r) => r.map((v) => fmt(v, digits)));
  const width = Math.max(...cells.flat().map((c) => c.length));
  return cells.map((r) => `[${r.map((c) => c.padStart(width + 1)).join(' ')} ]`);
}

/** Labelled blocks side by side: each block is a title line and body lines. */
export function sideBySide(blocks: readonly { title: string; lines: string[] }[], gap = 4): string[] {
  const widths = blocks.map((b) => Math.max(b.title.length, ...b.lines.map((l) => l.length)));
  const height = Math.max(...blocks.map((b) => b.lines.length)) + 1;
  const out: string[] = [];
  for (let i = 0; i < height; i++) {
    const parts = blocks.map((b, k) => (i === 0 ? b.title : (b.lines[i - 1] ?? '')).padEnd(widths[k]!));
    out.push(parts.join(' '.repeat(gap)).trimEnd());
  }
  return out;
}

/** One labelled matrix: `name = [ … ]` with continuation lines indented. */
export function labelled(name: string, rows: readonly (readonly number[])[], digits = 4): string[] {
  const lines = matrixLines(rows, digits);
  const pad = ' '.repeat(name.length + 3);
  return lines.map((l, i) => (i === 0 ? `${name} = ${l}` : `${pad}${l}`));
}
