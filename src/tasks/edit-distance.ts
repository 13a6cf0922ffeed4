/**
 * Levenshtein edit distance (insertions, deletions, substitutions, each
 * costing 1) and the phoneme error rate built on it:
 *
 *   PER = Σ_words dist(predicted, reference) / Σ_words |reference|
 */

/** Edit distance between two sequences, O(|a|·|b|) time, O(|b|) memory. */
export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  let cur = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const sub = prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      cur[j] = Math.min(sub, prev[j]! + 1, cur[j - 1]! + 1);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length]!;
}

/** Phoneme (token) error rate and exact-match word accuracy over paired predictions and references. */
export function tokenErrorRate<T>(predicted: readonly (readonly T[])[], reference: readonly (readonly T[])[]): { errorRate: number; wordAccuracy: number } {
  let dist = 0;
  let len = 0;
  let exact = 0;
  reference.forEach((ref, i) => {
    const d = editDistance(predicted[i] ?? [], ref);
    dist += d;
    len += ref.length;
    if (d === 0) exact++;
  });
  return { errorRate: len > 0 ? dist / len : NaN, wordAccuracy: reference.length > 0 ? exact / reference.length : NaN };
}
