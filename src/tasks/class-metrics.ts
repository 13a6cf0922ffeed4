/**
 * Classification metrics over n (true, predicted) class indices in [0, C):
 *
 *   accuracy = Σ [y = ŷ] / n
 *   precision_c = TP_c / (TP_c + FP_c)   recall_c = TP_c / (TP_c + FN_c)
 *   F1_c = 2·precision_c·recall_c / (precision_c + recall_c)
 *
 * with 0 where a denominator is 0, and the confusion matrix
 * `confusion[true][predicted]` of counts.
 */

import { expectPositiveInt, ShapeError } from '../core/errors.js';

/** Per-class figures. */
export interface ClassReport {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** How many items truly belong to the class. */
  readonly support: number;
}

export interface ClassificationMetrics {
  readonly accuracy: number;
  readonly perClass: ClassReport[];
  /** Unweighted mean of the per-class F1. */
  readonly macroF1: number;
  /** confusion[true][predicted]. */
  readonly confusion: number[][];
  readonly n: number;
}

/** Accuracy, per-class precision/recall/F1 and the confusion matrix. */
export function classificationMetrics(actual: readonly number[], predicted: readonly number[], classes: number): ClassificationMetrics {
  expectPositiveInt('classes', classes);
  const n = actual.length;
  if (predicted.length !== n) throw new ShapeError(`predicted has ${predicted.length} labels, actual has ${n}`);
  if (n === 0) throw new ShapeError('no items to score: the held-out part is empty; give more labelled items or a larger test fraction');
  const confusion = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    if (!(a >= 0 && a < classes && p >= 0 && p < classes)) throw new ShapeError(`item ${i}: class ${a} or ${p} is outside [0, ${classes})`);
    confusion[a]![p]!++;
    if (a === p) correct++;
  }
  const perClass = confusion.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((s, v) => s + v, 0);
    const predictedC = confusion.reduce((s, r) => s + r[c]!, 0);
    const precision = predictedC > 0 ? tp / predictedC : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  });
  return { accuracy: correct / n, perClass, macroF1: perClass.reduce((s, r) => s + r.f1, 0) / classes, confusion, n };
}

/**
 * Balanced class weights w_c = n / (C · n_c), so each class contributes
 * equally to the loss; a class absent from `labels` gets weight 0.
 */
export function balancedClassWeights(labels: readonly number[], classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l]!++;
  return counts.map((c) => (c > 0 ? labels.length / (classes * c) : 0));
}

/** The most frequent class in `labels` and the accuracy of always predicting it on `test`. */
export function majorityBaseline(labels: readonly number[], test: readonly number[], classes: number): { cls: number; accuracy: number } {
  const counts = new Array<number>(classes).fill(0);
  for (const l of labels) counts[l]!++;
  let cls = 0;
  for (let c = 1; c < classes; c++) if (counts[c]! > counts[cls]!) cls = c;
  return { cls, accuracy: test.length > 0 ? test.filter((l) => l === cls).length / test.length : NaN };
}
