/** Small DOM helpers shared by the pages: element creation, labelled controls, matrices. */

type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') e.className = String(v);
    else if (k === 'text') e.textContent = String(v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

let uid = 0;
/** A fresh id for label/for pairs. */
export function nextId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** A `<label>` + control pair inside a `.field` wrapper. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  if (!control.id) control.id = nextId('f');
  const wrap = el('div', { class: 'field' }, el('label', { for: control.id, text: label }), control);
  if (hint) {
    const h = el('small', { class: 'hint', id: nextId('hint'), text: hint });
    control.setAttribute('aria-describedby', h.id);
    wrap.append(h);
  }
  return wrap;
}

/** A `<select>` with the given [value, label] options. */
export function select(options: readonly (readonly [string, string])[], value: string, id?: string): HTMLSelectElement {
  const s = el('select', { id });
  for (const [v, l] of options) s.append(el('option', { value: v, text: l }));
  s.value = value;
  return s;
}

/** A number `<input>`. */
export function numberInput(value: number, min: number, max: number, step: number | 'any', id?: string): HTMLInputElement {
  return el('input', { type: 'number', id, value, min, max, step, inputmode: 'decimal' });
}

/** Fixed-decimal formatting with a plain "-" (values copy and parse), and no "-0.0000". */
export function fmt(v: number, digits = 4): string {
  const s = v.toFixed(digits);
  return /^-0\.0+$/.test(s) ? s.slice(1) : s;
}

/**
 * A matrix as a table, one `<td>` per value (4 decimals), labelled for
 * screen readers and tests (`data-name`). Returns the table to place.
 */
export function matrixTable(name: string, rows: readonly (readonly number[])[], caption?: string): HTMLTableElement {
  const t = el('table', { class: 'matrix', 'data-name': name, 'aria-label': caption ?? name });
  const body = el('tbody');
  for (const r of rows) {
    const tr = el('tr');
    for (const v of r) tr.append(el('td', { text: fmt(v) }));
    body.append(tr);
  }
  t.append(body);
  return t;
}

/** Replaces the values (and shape) of a table made by {@link matrixTable}. */
export function updateMatrix(t: HTMLTableElement, rows: readonly (readonly number[])[], markChanges = false): void {
  const before = Array.from(t.querySelectorAll('td'), (td) => td.textContent);
  const fresh = matrixTable(t.dataset.name ?? '', rows, t.getAttribute('aria-label') ?? undefined);
  if (markChanges) {
    fresh.querySelectorAll('td').forEach((td, i) => { if (before.length === rows.length * (rows[0]?.length ?? 0) && before[i] !== td.textContent) td.className = 'changed'; });
  }
  t.replaceChildren(...fresh.childNodes);
}

/** Subscripted symbols of docs/maths.md §1, typeset: net_h → net<sub>h</sub>, δo → δ<sub>o</sub>, g_h, b_f, … */
const SUBSCRIPTS: readonly [RegExp, string, string][] = [
  [/δneth/g, 'δnet', 'h'], [/neth/g, 'net', 'h'], [/neto/g, 'net', 'o'], [/δo/g, 'δ', 'o'],
  [/\bg_h/g, 'g', 'h'], [/\bg_o/g, 'g', 'o'], [/\bb_f/g, 'b', 'f'], [/\bb_z/g, 'b', 'z'],
];

/** A `<span class="math">` with the notation typeset (subscripts as `<sub>`, the rest as text). */
export function rich(text: string, tag: 'span' | 'p' = 'span'): HTMLElement {
  const out = el(tag, { class: tag === 'span' ? 'math' : undefined });
  // split the text at every subscripted symbol, in order of appearance
  const all = new RegExp(SUBSCRIPTS.map(([re]) => re.source).join('|'), 'g');
  let last = 0;
  for (const m of text.matchAll(all)) {
    out.append(text.slice(last, m.index));
    const [, base, sub] = SUBSCRIPTS.find(([re]) => new RegExp(`^${re.source}$`).test(m[0]))!;
    out.append(base, el('sub', { text: sub }));
    last = m.index + m[0].length;
  }
  out.append(text.slice(last));
  return out;
}
