/**
 * The timing protocol of every measurement: warm up, then several timed
 * repetitions, each at least one call and at least its share of the time
 * budget; the median rate is reported.
 */

/** Result of one measurement. */
export interface Rate {
  /** Median characters per second over the repetitions. */
  readonly charsPerSec: number;
  /** Each repetition's rate, ascending. */
  readonly reps: number[];
  /**
   * Characters per CPU-second of this process over all repetitions (user +
   * system time of every thread): what the rate would be on an otherwise
   * idle core, and the fair figure when other work shares the machine.
   */
  readonly charsPerCpuSec: number;
}

/**
 * Times `step` (which does some work and returns how many characters it
 * processed). `seconds` caps the whole measurement, warm-up included, except
 * that each repetition runs `step` at least once: slow peers get 3
 * repetitions of one call each.
 */
export async function measure(step: () => number | Promise<number>, seconds: number, reps = 5): Promise<Rate> {
  const now = () => performance.now() / 1000;
  // warm-up: the first call (compilation, allocation) plus up to a sixth of the budget
  let t0 = now();
  await step();
  const first = now() - t0;
  const share = seconds / (reps + 1);
  if (first > share) reps = 3;
  if (first < seconds) {
    t0 = now();
    while (now() - t0 < Math.min(share, 1.5)) await step();
  }
  const rates: number[] = [];
  let total = 0;
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) {
    let n = 0;
    const start = now();
    let dt = 0;
    do {
      n += await step();
      dt = now() - start;
    } while (dt < share);
    rates.push(n / dt);
    total += n;
  }
  const cpu = process.cpuUsage(cpu0);
  rates.sort((a, b) => a - b);
  return { charsPerSec: rates[Math.floor(rates.length / 2)]!, reps: rates, charsPerCpuSec: total / ((cpu.user + cpu.system) / 1e6) };
}
