// npm run mutate -- tasks
import { strykerConfig } from './mutation/config.mjs';

// mutation-tasks-parts covers the small pure files (metrics, splits, windows, scaling, time axis,
// class metrics, symbols, edit distance, pronunciations, sensor windows, forecast evaluation) in
// well under a second; mutation-tasks-logistic, -forecast and -classify train tiny float64 models
// for a few updates (each file about half a second) for logistic.ts, forecast.ts and classify.ts.
// The slower forecast, classify and pronounce tests (seconds each, real data) are left out.
export default strykerConfig('tasks', ['mutation-tasks-parts', 'mutation-tasks-logistic', 'mutation-tasks-forecast', 'mutation-tasks-classify']);
